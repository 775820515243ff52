"""The print queue: labels other flows ask for (a remnant returned at a scan station) and labels
the station sends, each a PrintJob row; a printer that does not answer leaves the job to retry."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from spex.labels import printer
from spex.labels.layouts import LabelError, load_layout
from spex.labels.render import check_copies, render_labels
from spex.models import PrintJob, Station, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"


def queue_label(session: Session, kind: str, code: str, copies: int = 1,
                station_id: int | None = None) -> PrintJob:
    """Queue a label of `kind` for the record behind `code`; raises LabelError, writing nothing,
    when the kind is unknown, the code finds no record or the copies are out of range."""
    return queue_labels(session, kind, [code], copies, station_id)[0]


def queue_labels(session: Session, kind: str, code_list: list[str], copies: int = 1,
                 station_id: int | None = None) -> list[PrintJob]:
    """One PrintJob per code, all or none: every code must find its record first."""
    from spex.labels.records import records_for_codes  # models-backed look-ups

    load_layout(kind)
    copies = check_copies(copies)
    records = records_for_codes(session, kind, code_list)
    jobs = [PrintJob(kind=kind, code=record["code"], copies=copies, output="zpl", status=QUEUED,
                     attempts=0, station_id=station_id) for record in records]
    session.add_all(jobs)
    session.flush()
    return jobs


def _zpl_for(session: Session, jobs: list[PrintJob], dpi: int | None) -> dict[int, bytes | LabelError]:
    """Each job's ZPL, looked up one query per kind; a job whose record has gone (or whose label
    cannot be made) gets its own error and does not hold up the rest."""
    from spex.labels.records import record_for, records_for_codes

    by_kind: dict[str, list[PrintJob]] = defaultdict(list)
    for job in jobs:
        by_kind[job.kind].append(job)
    made: dict[int, bytes | LabelError] = {}
    for kind, group in by_kind.items():
        try:
            records = records_for_codes(session, kind, [job.code for job in group])
        except LabelError:
            records = None  # find which one is bad, one by one
        for index, job in enumerate(group):
            try:
                record = records[index] if records else record_for(session, kind, job.code)
                made[job.id] = render_labels(kind, [record], "zpl", dpi=dpi, copies=job.copies)
            except LabelError as exc:
                made[job.id] = exc
    return made


def print_jobs(session: Session, jobs: list[PrintJob], station: Station | None = None,
               dpi: int | None = None) -> list[PrintJob]:
    """Send the jobs' ZPL to the printer of `station` (or each job's own station), one connection
    per printer for the whole batch. Success marks a job sent; a printer that does not answer
    marks its jobs failed with the reason and attempts counted, ready to retry — one timeout for
    the batch, not one per label."""
    zpl = _zpl_for(session, jobs, dpi)
    by_printer: dict[int | None, list[PrintJob]] = defaultdict(list)
    targets: dict[int | None, Station | None] = {}
    for job in jobs:
        target = station or (session.get(Station, job.station_id) if job.station_id else None)
        job.attempts = (job.attempts or 0) + 1
        if target is not None:
            job.station_id = target.id
        made = zpl[job.id]
        if isinstance(made, LabelError):
            job.status, job.last_error = FAILED, str(made)
            continue
        key = target.id if target is not None else None
        by_printer[key].append(job)
        targets[key] = target
    for key, batch in by_printer.items():
        target = targets[key]
        try:
            if target is None:
                raise printer.PrinterUnreachable("no station is chosen for this print job")
            printer.send_raw(target.printer_host or "", target.printer_port or 9100,
                             b"".join(zpl[job.id] for job in batch))
        except printer.PrinterUnreachable as exc:
            for job in batch:
                job.status, job.last_error = FAILED, str(exc)
        else:
            now = utcnow()
            for job in batch:
                job.status, job.last_error, job.printed_at = SENT, None, now
    session.flush()
    return jobs


def print_job(session: Session, job: PrintJob, station: Station | None = None,
              dpi: int | None = None) -> PrintJob:
    """One queued job to the printer; see print_jobs."""
    return print_jobs(session, [job], station, dpi)[0]
