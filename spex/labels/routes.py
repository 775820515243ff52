"""Label station routes: scan or search, preview, download PNG/PDF/ZPL, send ZPL to the station's
printer, the print queue, and job travelers. Thin: read the form, call the domain, render."""
from __future__ import annotations

import re

from flask import Response, abort, render_template, request, send_file
from flask_login import login_required
from sqlalchemy import select

from spex.auth import current_station, roles_required
from spex.extensions import db
from spex.forms import read_id
from spex.labels import bp
from spex.labels.layouts import LabelError, LabelLayout, label_kinds, labels_dir, load_layout
from spex.labels.links import PRINT_ROLES, may_print
from spex.labels.pdf import sheets
from spex.labels.queue import FAILED, SENT, print_jobs, queue_labels
from spex.labels.records import KIND_TITLES, MAX_BATCH, records_for_codes
from spex.labels.search import find
from spex.labels.render import MAX_COPIES, MEDIA_TYPES, OUTPUTS, check_copies, render_labels
from spex.labels.traveler import barcode_data_uri, build_traveler, render_traveler_pdf
from spex.models import PrintJob, Station

DPI_CHOICES = (203, 300)
# The on-screen preview fits this box in CSS pixels, shown at a whole fraction of the PNG (1/1, 1/2,
# 1/3...): a 1-bit label scaled by 0.47 loses thin strokes and evens bars out of true.
PREVIEW_BOX = (480, 640)
QUEUE_ROWS = 30
# Kinds a LOT- scan may print as: a bar can get a remnant label and the other way round.
KIND_ALTERNATIVES = {"stock_unit": ("stock_unit", "remnant"), "remnant": ("remnant", "stock_unit")}


def _dpi(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        dpi = int(value)
    except (TypeError, ValueError):
        raise LabelError(f"'{value}' is not a printer resolution") from None
    if dpi not in DPI_CHOICES:
        raise LabelError(f"printers here are {' or '.join(map(str, DPI_CHOICES))} dpi, not {dpi}")
    return dpi


def _kind(value: str | None) -> str:
    if value not in KIND_TITLES or value not in label_kinds():
        raise LabelError(f"unknown label kind '{value}'")
    return value


def _codes_from(args) -> list[str]:
    chosen = [code for code in args.getlist("code") if code.strip()]
    if len(chosen) > MAX_BATCH:
        raise LabelError(f"at most {MAX_BATCH} labels in one batch")
    return chosen


def preview_size(layout: LabelLayout, dpi: int) -> dict:
    """How big the preview shows: the PNG's pixels and the whole divisor that fits PREVIEW_BOX."""
    dots_wide, dots_high = layout.size_in_dots(dpi)
    divisor = max(1, -(-dots_wide // PREVIEW_BOX[0]), -(-dots_high // PREVIEW_BOX[1]))
    return {"dots": (dots_wide, dots_high), "divisor": divisor,
            "css": (round(dots_wide / divisor, 2), round(dots_high / divisor, 2))}


def _printers() -> list[Station]:
    return list(db.session.scalars(select(Station).where(Station.active.is_(True),
                                                         Station.printer_host.is_not(None),
                                                         Station.printer_host != "")
                                   .order_by(Station.name)))


def _queue() -> list[PrintJob]:
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id.desc()).limit(QUEUE_ROWS)))


def _queue_context() -> dict:
    return {"queue": _queue(), "printers": _printers(), "station": current_station(),
            "may_print": may_print(), "kind_titles": KIND_TITLES}


def _found_context(query: str, kind: str | None = None, dpi=None, preview: str | None = None,
                   pick: str | None = None) -> dict:
    """The search result with everything its fragment shows; a LabelError becomes its message."""
    pick = pick if pick in KIND_TITLES else None
    context = {"query": query, "pick": pick, "found": None, "error": None, "kind": None, "dpi": None,
               "preview_code": None, "kinds": [], "kind_titles": KIND_TITLES,
               "dpi_choices": DPI_CHOICES, "sheets": {}, "max_copies": MAX_COPIES, "notice": None,
               "may_print": may_print(), "printers": [], "station": None}
    if not query.strip() and not pick:
        return context
    try:
        found = find(db.session, query, pick)
        kinds = KIND_ALTERNATIVES.get(found.kind, (found.kind,))
        chosen = kind if kind in kinds else found.kind
        layout = load_layout(chosen)
        context.update(found=found, kind=chosen, kinds=kinds, layout=layout,
                       dpi=_dpi(dpi) or layout.dpi, sheets=sheets(),
                       printers=_printers(), station=current_station())
        context["preview"] = preview_size(layout, context["dpi"])
        codes_found = [record["code"] for record in found.records]
        if not codes_found and found.job_number:
            # A job scanned before any of its pieces are put away: its traveler is what there is to print.
            context["notice"] = f"Job {found.job_number} has no finished-goods lots yet: print its traveler."
        elif not codes_found:
            context["error"] = f"{found.title}: nothing to print yet."
        else:
            context["preview_code"] = preview if preview in codes_found else codes_found[0]
            # Render once here so a label that cannot be made says why instead of a broken image.
            render_labels(chosen, [found.records[codes_found.index(context["preview_code"])]], "zpl",
                          dpi=context["dpi"])
    except LabelError as exc:
        context["error"] = str(exc)
    return context


@bp.route("/")
@login_required
def index():
    query = request.args.get("q", "")[:80]
    context = _found_context(query, request.args.get("kind"), request.args.get("dpi"),
                             request.args.get("preview"), request.args.get("pick"))
    status = 422 if context["error"] else 200
    if request.htmx:
        return render_template("labels/_found.html", **context), status
    return render_template("labels/station.html", **(context | _queue_context())), status


@bp.route("/preview.png")
@login_required
def preview():
    """The label exactly as the printer prints it: 1 bit per printer dot."""
    try:
        kind = _kind(request.args.get("kind"))
        records = records_for_codes(db.session, kind, [request.args.get("code", "")])
        data = render_labels(kind, records, "png", dpi=_dpi(request.args.get("dpi")))
    except LabelError as exc:
        return Response(str(exc), status=422, mimetype="text/plain")
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _filename(kind: str, chosen: list[str], output: str) -> str:
    name = chosen[0] if len(chosen) == 1 else f"{len(chosen)}-labels"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{kind}-{name}.{output}")


@bp.route("/download")
@roles_required(*PRINT_ROLES)
def download():
    """PNG (one label), PDF (a page per label, or a Letter/A4 sheet) or ZPL, as a file."""
    output = request.args.get("output", "")
    try:
        if output not in OUTPUTS:
            raise LabelError(f"choose PNG, PDF or ZPL, not '{output}'")
        kind = _kind(request.args.get("kind"))
        chosen = _codes_from(request.args)
        records = records_for_codes(db.session, kind, chosen)
        sheet = request.args.get("sheet") or None
        data = render_labels(kind, records, output, dpi=_dpi(request.args.get("dpi")),
                             copies=request.args.get("copies", 1),
                             sheet=sheet if output == "pdf" else None)
    except LabelError as exc:
        context = _found_context(request.args.get("q", "")[:80], request.args.get("kind"),
                                 request.args.get("dpi"), pick=request.args.get("pick"))
        context["error"] = str(exc)
        return render_template("labels/station.html", **(context | _queue_context())), 422
    disposition = f'attachment; filename="{_filename(kind, chosen, output)}"'
    return Response(data, mimetype=MEDIA_TYPES[output],
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def _station_from_form() -> Station | None:
    if request.form.get("station_id", "").strip():
        station_id = read_id(request.form, "station_id")
        station = db.session.get(Station, station_id) if station_id is not None else None
        if station is None or not station.active:
            raise LabelError("that printer station does not exist")
        return station
    return current_station()


def _print_result(message: str, outcome: str, status: int = 200):
    if request.htmx:
        return render_template("labels/_print_result.html", message=message, outcome=outcome,
                               **_queue_context()), status
    context = _found_context(request.form.get("q", "")[:80], request.form.get("kind"),
                             request.form.get("dpi"), pick=request.form.get("pick"))
    return render_template("labels/station.html", print_message=message, print_outcome=outcome,
                           **(context | _queue_context())), status


@bp.post("/print")
@roles_required(*PRINT_ROLES)
def print_labels():
    """Queue one PrintJob per ticked record and send them to the station's printer now."""
    try:
        kind = _kind(request.form.get("kind"))
        chosen = _codes_from(request.form)
        copies = check_copies(request.form.get("copies", 1))
        dpi = _dpi(request.form.get("dpi"))
        station = _station_from_form()
        if station is None or not station.printer_host:
            raise LabelError("no printer chosen: pick a station with a printer, or download the "
                             "ZPL/PDF instead")
        jobs = queue_labels(db.session, kind, chosen, copies, station.id)  # all codes good, or none
    except LabelError as exc:
        db.session.rollback()
        return _print_result(str(exc), "refused", 422)
    print_jobs(db.session, jobs, station, dpi=dpi)
    db.session.commit()
    failed = [job for job in jobs if job.status == FAILED]
    if failed:
        return _print_result(f"{failed[0].last_error}. {len(failed)} label job(s) stay queued — "
                             f"retry from the queue below.", "refused", 503)
    total = sum(job.copies for job in jobs)
    return _print_result(f"Sent {total} label(s) to {station.name} "
                         f"({station.printer_host}:{station.printer_port}).", "done")


@bp.post("/queue/<int:job_id>/retry")
@roles_required(*PRINT_ROLES)
def retry(job_id: int):
    job = db.session.get(PrintJob, job_id)
    if job is None:
        return _print_result("That print job is no longer in the queue.", "refused", 404)
    if job.status == SENT and request.form.get("again") != "1":
        return _print_result(f"Print job {job.id} was already sent.", "refused", 409)
    try:
        station = _retry_printer(job)
    except LabelError as exc:
        return _print_result(str(exc), "refused", 422)
    print_jobs(db.session, [job], station)
    db.session.commit()
    if job.status == FAILED:
        return _print_result(f"{job.last_error}. The job stays queued (attempt {job.attempts}).",
                             "refused", 503)
    return _print_result(f"Sent {job.kind.replace('_', ' ')} label {job.code} to {station.name}.", "done")


def _retry_printer(job: PrintJob) -> Station:
    """The printer picked above the queue, else the station that queued the job if it has one
    (a remnant label queued at a floor station usually does not), else this browser's station."""
    candidates = [_station_from_form(),
                  db.session.get(Station, job.station_id) if job.station_id else None,
                  current_station()]
    for station in candidates:
        if station is not None and station.printer_host:
            return station
    raise LabelError("no printer for this job: pick a station with a printer above the queue")


@bp.route("/queue")
@login_required
def queue():
    return render_template("labels/_queue.html", **_queue_context())


@bp.route("/logo.png")
@login_required
def logo():
    """The shop's logo from labels/, for the traveler page (the same file the labels print)."""
    path = labels_dir() / "logo.png"
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=300)


# --- travelers --------------------------------------------------------------------------------

@bp.route("/traveler/<number>")
@login_required
def traveler(number: str):
    try:
        sheet = build_traveler(db.session, number)
    except LabelError as exc:
        return render_template("error.html", status=404, title="No such job", message=str(exc)), 404
    barcodes = {sheet.code: barcode_data_uri(sheet.code, 2, 100)}
    barcodes.update({op.code: barcode_data_uri(op.code, 4, 180) for op in sheet.operations})
    return render_template("labels/traveler.html", traveler=sheet, barcodes=barcodes,
                           may_print=may_print())


@bp.route("/traveler/<number>.pdf")
@roles_required(*PRINT_ROLES)
def traveler_pdf(number: str):
    try:
        sheet = build_traveler(db.session, number)
    except LabelError as exc:
        return render_template("error.html", status=404, title="No such job", message=str(exc)), 404
    data = render_traveler_pdf(sheet)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="traveler-{sheet.code}.pdf"'})
