"""Recall and trace pages: a heat forward to customers, a shipment, FG lot or job back to heats;
each as a page, as JSON (?format=json or an Accept of application/json) and as a CSV download."""
from __future__ import annotations

from flask import abort, jsonify, render_template, request
from sqlalchemy import func, select

from spex.auth import wants_json
from spex.extensions import db
from spex.models import FinishedGoodsLot, Job
from spex.shipping import bp, recall
from spex.shipping.csv_download import csv_response
from spex.shipping.routes import _shipment_or_404, shipping_pages


def _as_json() -> bool:
    return request.args.get("format") == "json" or wants_json()


@bp.get("/recall")
@shipping_pages
def recall_search():
    heat = (request.args.get("heat") or "").strip()[:60]
    found = recall.recall_heat(db.session, heat) if heat else None
    if heat and found is None:
        return render_template("shipping/recall.html", heat=heat, recall=None,
                               message=f"No material lot has heat number {heat}."), 404
    return render_template("shipping/recall.html", heat=heat, recall=found, message=None)


@bp.get("/recall/heat/<path:heat>")
@shipping_pages
def recall_heat(heat: str):
    found = recall.recall_heat(db.session, heat)
    if found is None:
        if _as_json():
            return jsonify(error="not found", message=f"No material lot has heat number {heat[:60]}."), 404
        return render_template("shipping/recall.html", heat=heat[:60], recall=None,
                               message=f"No material lot has heat number {heat[:60]}."), 404
    if request.args.get("format") == "csv":
        return csv_response(f"recall-heat-{found['heat']}.csv", recall.RECALL_CSV_HEADER,
                            recall.recall_csv_rows(found))
    if _as_json():
        return jsonify(found)
    return render_template("shipping/recall.html", heat=found["heat"], recall=found, message=None)


def _trace(trace: dict, title: str, name: str):
    if request.args.get("format") == "csv":
        return csv_response(f"trace-{name}.csv", recall.TRACE_CSV_HEADER, recall.trace_csv_rows(trace))
    if _as_json():
        return jsonify(trace)
    return render_template("shipping/trace.html", trace=trace, title=title, name=name)


@bp.get("/trace/shipment/<number>")
@shipping_pages
def trace_shipment(number: str):
    shipment = _shipment_or_404(number)
    return _trace(recall.trace_shipment(db.session, shipment), f"Shipment {shipment.barcode}", shipment.barcode)


@bp.get("/trace/fg/<code>")
@shipping_pages
def trace_fg_lot(code: str):
    lot = db.session.scalar(select(FinishedGoodsLot).where(
        func.upper(FinishedGoodsLot.code) == code.strip().upper().removeprefix("FG-")[:40]))
    if lot is None:
        abort(404)
    return _trace(recall.trace_fg_lot(db.session, lot), f"FG lot {lot.barcode}", lot.barcode)


@bp.get("/trace/job/<number>")
@shipping_pages
def trace_job(number: str):
    job = db.session.scalar(select(Job).where(func.upper(Job.number) == number.strip().upper().removeprefix("JOB-")[:40]))
    if job is None:
        abort(404)
    trace = {"job": job.number, "jobs": recall.trace_jobs(db.session, [job.id])}
    return _trace(trace, f"Job {job.number}", f"JOB-{job.number}")
