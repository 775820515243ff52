"""Masters room: the routes. One set of views serves every master described in catalog.py;
parts add their routing steps, material lots their mill cert, stations the browser registration.

Pages work as plain HTML forms; htmx only saves page loads (search as you type, paging,
deactivate from the list, moving routing steps).
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy.exc import IntegrityError

from spex.auth import office_required
from spex.extensions import db
from spex.forms import checks_its_own_characters
from spex.forms import FormError
from spex.masters import batch_routes, bp, certs, history, records, routing
from spex.masters.catalog import MASTERS, MATERIALS, PARTS, ROUTING_STEPS
from spex.materials import limits
from spex.materials.millcerts import ELEMENTS, MECHANICAL
from spex.metrics.material import planned_part_yield
from spex.planning import bars
from spex.models import Material, MaterialLot, Part, RoutingStep, User

DUPLICATE = "That code is already used."


def _master(slug: str):
    """The master named in the URL, if this user's role may see it (every view checks here)."""
    master = MASTERS.get(slug)
    if master is None:
        abort(404)
    if not current_user.has_role(*master.roles):
        abort(403)
    return master


def _record(model, record_id: int):
    record = db.session.get(model, record_id) if records.valid_id(record_id) else None
    if record is None:
        abort(404)
    return record


def _wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@bp.get("")
@office_required
def index():
    visible = [m for m in MASTERS.values() if current_user.has_role(*m.roles)]
    tiles = [(m, records.count(db.session, m)) for m in visible]
    return render_template("masters/index.html", tiles=tiles)


@bp.get("/<slug>")
@office_required
@checks_its_own_characters
def listing(slug: str):
    master = _master(slug)
    query = records.clean_query(request.args.get("q"))
    include_inactive = request.args.get("inactive") == "1"
    found = records.find(db.session, master, query, include_inactive=include_inactive,
                         page=records.page_number(request.args.get("page")))
    context = dict(master=master, found=found, query=query, include_inactive=include_inactive,
                   pager=_pager(master, query, include_inactive, found))
    if _wants_fragment():
        return render_template("masters/_results.html", **context)
    return render_template("masters/list.html", **context)


def _pager(master, query, include_inactive, found) -> dict:
    """Previous and next page links that keep the search."""
    def page_url(page):
        return url_for(".listing", slug=master.slug, q=query or None, inactive="1" if include_inactive else None,
                       page=page)
    return {"previous": page_url(found.page - 1) if found.page > 1 else None,
            "next": page_url(found.page + 1) if found.page < found.pages else None}


@bp.route("/<slug>/new", methods=["GET", "POST"])
@office_required
@checks_its_own_characters
def create(slug: str):
    master = _master(slug)
    if request.method == "GET":
        return _form_page(master, None, records.new_values(db.session, master), {})
    record, reading = _save_posted(master, None)
    if record is None:
        return _form_page(master, None, request.form, reading.errors, status=422)
    flash(f"{master.singular.capitalize()} saved.")
    if master.open_after_create:
        return redirect(url_for(".edit", slug=slug, record_id=record.id))
    return redirect(url_for(".listing", slug=slug))


@bp.route("/<slug>/<int:record_id>", methods=["GET", "POST"])
@office_required
@checks_its_own_characters
def edit(slug: str, record_id: int):
    master = _master(slug)
    record = _record(master.model, record_id)
    if request.method == "GET":
        return _form_page(master, record, records.record_values(master, record), {})
    saved, reading = _save_posted(master, record)
    if saved is None:
        return _form_page(master, record, request.form, reading.errors, status=422)
    if isinstance(saved, User) and saved.id == current_user.id:
        # A new password of one's own ended every session of one's own: this one carries on.
        login_user(saved)
    flash(f"{master.singular.capitalize()} saved.")
    return redirect(url_for(".listing", slug=slug))


@bp.post("/<slug>/<int:record_id>/<any(deactivate, reactivate):action>")
@office_required
def set_active(slug: str, record_id: int, action: str):
    master = _master(slug)
    record = _record(master.model, record_id)
    refusal = records.set_active(db.session, master, record, action == "reactivate", actor=current_user)
    if refusal:
        db.session.rollback()
    else:
        db.session.commit()
    if _wants_fragment():
        row = records.row_of(master, _record(master.model, record_id))
        return render_template("masters/_row.html", master=master, row=row, refusal=refusal)
    if refusal:
        flash(refusal, "refused")
    else:
        flash(f"{master.singular.capitalize()} {action}d.")
    if request.form.get("back") == "edit":
        return redirect(url_for(".edit", slug=slug, record_id=record_id))
    return redirect(url_for(".listing", slug=slug))


def _save_posted(master, record):
    """Read, check and write one posted form; (None, reading) when it was refused and nothing was written."""
    reading = records.read(db.session, master, request.form, record, actor=current_user)
    cert = _read_cert(reading) if master.multipart else None
    if not reading.ok:
        db.session.rollback()
        return None, reading
    stored = None
    upload_dir = current_app.config["SPEX_UPLOAD_DIR"]
    try:
        saved = records.save(db.session, master, reading, record, actor=current_user)
        if cert is not None:
            stored = certs.store_cert(upload_dir, saved.id, *cert)
            saved.cert_filename = stored
        db.session.commit()
    except IntegrityError:
        # Another office PC saved the same code between our check and our write.
        db.session.rollback()
        if stored:
            certs.forget_file(upload_dir, stored)
        reading.refuse(_unique_field(master), DUPLICATE)
        return None, reading
    return saved, reading


def _unique_field(master) -> str:
    for field in master.fields:
        if field.unique:
            return field.name
    return master.unique_together[0].field if master.unique_together else master.fields[0].name


def _read_cert(reading):
    """The uploaded mill cert as (bytes, extension), or None; a bad file is a message at the cert field."""
    upload = request.files.get("cert")
    if upload is None or not upload.filename:
        return None
    limit = current_app.config.get("SPEX_CERT_MAX_BYTES", certs.CERT_MAX_BYTES)
    data = upload.stream.read(limit + 1)
    try:
        extension = certs.check_cert(upload.filename, data, limit)
    except certs.CertRefused as refused:
        reading.refuse("cert", str(refused))
        return None
    return data, extension


def _form_page(master, record, values, errors, status=200, **extra):
    context = dict(master=master, record=record, errors=errors,
                   heading=master.heading(record) if record is not None else "",
                   widgets=records.widgets(db.session, master, values, errors))
    if record is not None:
        context["history"] = history.lines_of(db.session, *history.key_of(master, record)[:2])
    if record is not None and master is PARTS:
        context.update(_routing_context(record), bar_plan=bars.for_part(record),
                       part_yield=planned_part_yield(record), **batch_routes.batch_context(record))
    if record is not None and master is MATERIALS:
        context.update(limit_rows=limits.rows_for_form(record), limit_errors={}, elements=ELEMENTS,
                       mechanical=MECHANICAL)
    context.update(extra)
    return render_template("masters/form.html", **context), status


# --- a material's specification limits ---------------------------------------------------------------

@bp.post("/materials/<int:record_id>/limits")
@office_required
def save_limits(record_id: int):
    _master(MATERIALS.slug)
    material = _record(Material, record_id)
    try:
        wanted = limits.read_limits(request.form)
    except FormError as exc:
        db.session.rollback()
        rows = [{"property": request.form.get(f"prop_{n}", ""), "minimum": request.form.get(f"min_{n}", ""),
                 "maximum": request.form.get(f"max_{n}", "")} for n in range(limits.MAX_ROWS)
                if f"prop_{n}" in request.form]
        return _form_page(MATERIALS, material, records.record_values(MATERIALS, material), {}, status=422,
                          limit_rows=rows, limit_errors={exc.field: exc.message})
    changed = limits.save_limits(db.session, material, wanted, actor=current_user)
    db.session.commit()
    flash(f"Limits saved ({changed} changed)." if changed else "Limits unchanged.")
    return redirect(url_for(".edit", slug=MATERIALS.slug, record_id=material.id) + "#limits")


# --- mill certs ------------------------------------------------------------------------------------

@bp.get("/lots/<int:lot_id>/cert")
@login_required
def cert(lot_id: int):
    """A lot's mill cert, for anyone signed in (the floor checks heats against it too)."""
    lot = _record(MaterialLot, lot_id)
    if not lot.cert_filename:
        abort(404)
    extension = lot.cert_filename.rsplit(".", 1)[-1]
    return send_from_directory(current_app.config["SPEX_UPLOAD_DIR"], lot.cert_filename,
                               mimetype=certs.MIME_TYPES.get(extension, "application/octet-stream"),
                               download_name=f"mill-cert-lot-{lot.number}.{extension}", max_age=0)


# --- routing steps ----------------------------------------------------------------------------------

def _routing_context(part, values=None, errors=None, editing=None):
    if values is None:
        values = records.new_values(db.session, ROUTING_STEPS)
        values["seq"] = str(routing.next_seq(db.session, part))
    errors = errors or {}
    return dict(part=part, steps=routing.step_lines(db.session, part), step_errors=errors,
                step_widgets=records.widgets(db.session, ROUTING_STEPS, values, errors), editing=editing)


def _part_and_step(part_id: int, step_id: int | None = None):
    _master(PARTS.slug)
    part = _record(Part, part_id)
    if step_id is None:
        return part, None
    step = _record(RoutingStep, step_id)
    if step.part_id != part.id:
        abort(404)
    return part, step


def _routing_answer(part):
    if _wants_fragment():
        return render_template("masters/_routing.html", **_routing_context(part))
    return redirect(url_for(".edit", slug=PARTS.slug, record_id=part.id) + "#routing")


def _save_step(part, step):
    reading = records.read(db.session, ROUTING_STEPS, request.form, step, actor=current_user,
                           fixed={"part_id": part.id})
    if not reading.ok:
        db.session.rollback()
        return reading
    try:
        records.save(db.session, ROUTING_STEPS, reading, step, actor=current_user, part_id=part.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        reading.refuse("seq", "That operation number is already used in this routing.")
    return reading


@bp.post("/parts/<int:part_id>/steps")
@office_required
@checks_its_own_characters
def add_step(part_id: int):
    part, _ = _part_and_step(part_id)
    reading = _save_step(part, None)
    if reading.ok:
        flash("Operation added.")
        return _routing_answer(part)
    context = dict(master=PARTS, record=part, errors={}, heading=PARTS.heading(part),
                   widgets=records.widgets(db.session, PARTS, records.record_values(PARTS, part), {}))
    context.update(_routing_context(part, request.form, reading.errors))
    return render_template("masters/form.html", **context), 422


@bp.route("/parts/<int:part_id>/steps/<int:step_id>", methods=["GET", "POST"])
@office_required
@checks_its_own_characters
def edit_step(part_id: int, step_id: int):
    part, step = _part_and_step(part_id, step_id)
    if request.method == "GET":
        values, errors, status = records.record_values(ROUTING_STEPS, step), {}, 200
    else:
        reading = _save_step(part, step)
        if reading.ok:
            flash(f"Operation {step.seq} saved.")
            return _routing_answer(part)
        values, errors, status = request.form, reading.errors, 422
    return render_template("masters/step.html", part=part, step=step, master=ROUTING_STEPS, errors=errors,
                           widgets=records.widgets(db.session, ROUTING_STEPS, values, errors)), status


@bp.post("/parts/<int:part_id>/steps/<int:step_id>/move")
@office_required
def move_step(part_id: int, step_id: int):
    part, step = _part_and_step(part_id, step_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    routing.move_step(db.session, part, step, direction)
    db.session.commit()
    return _routing_answer(part)


@bp.post("/parts/<int:part_id>/steps/<int:step_id>/remove")
@office_required
def remove_step(part_id: int, step_id: int):
    part, step = _part_and_step(part_id, step_id)
    seq = step.seq
    history.note(db.session, PARTS.slug, part.id, history.REMOVED, field=f"Op {seq}", actor=current_user)
    routing.remove_step(db.session, step)
    db.session.commit()
    if not _wants_fragment():
        flash(f"Operation {seq} removed.")
    return _routing_answer(part)
