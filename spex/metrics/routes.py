"""Metrics routes: thin — read the period or service level, call the domain, render the page.

Both pages are plain GET forms, so a period or service level is a link a planner can bookmark or
send; a bad one answers 422 with the reason next to the field and the rest of the page empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app, render_template, request, url_for

from spex import shoptime
from spex.auth import office_required
from spex.config import DEFAULT_HOLDING_RATE
from spex.extensions import db
from spex.forms import FormError
from spex.metrics import bp
from spex.metrics.charts import bar_chart
from spex.metrics.figures import Period, PeriodError, on_time_delivery, period_yield, scrap_rates, turnover
from spex.metrics.listing import matching, page_of
from spex.metrics.material import job_requirements, material_needs, planned_yield
from spex.masters import records
from spex.metrics.reorder import ReorderError, part_batches, reorder_lines
from spex.purchasing.needs import buy_list
from spex.downloads import csv_response
from spex.quality.ncrs import cause_pareto
from spex.counts.counting import accuracy as count_accuracy

DEFAULT_DAYS = 90
LONGEST_PERIOD_DAYS = 3 * 366
SERVICE_LEVELS = ("90", "95", "97.5", "99", "99.5")
DEFAULT_SERVICE_LEVEL = "95"


def _day(raw: str, name: str, label: str) -> date:
    raw = (raw or "").strip()[:20]
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise FormError(name, f"{label} “{raw}” is not a date on the calendar; use YYYY-MM-DD, e.g. 2026-02-28.") from None
    if not 2000 <= value.year <= 2100:
        raise FormError(name, f"{label} {value:%Y-%m-%d} is not a plausible date.")
    return value


def read_period(args, today: date) -> Period:
    """The period from the query string: start included, end excluded; the last 90 days up to today by default."""
    end = _day(args["end"], "end", "The end date") if args.get("end") else today + timedelta(days=1)
    start = _day(args["start"], "start", "The start date") if args.get("start") else end - timedelta(days=DEFAULT_DAYS)
    try:
        period = Period(start, end)
    except PeriodError as exc:
        raise FormError("end", exc.message) from None
    if period.days > LONGEST_PERIOD_DAYS:
        raise FormError("start", "Choose a period of at most three years.")
    return period


def read_service_level(args) -> tuple[str, float]:
    raw = (args.get("service") or DEFAULT_SERVICE_LEVEL).strip().rstrip("%").strip()[:10]
    try:
        percent = Decimal(raw)
    except ArithmeticError:
        raise FormError("service", f"Service level “{raw}” is not a number; give a percentage such as 95.") from None
    if not percent.is_finite() or not Decimal(50) <= percent < Decimal(100):
        raise FormError("service", f"A service level of {raw} % is not possible: choose at least 50 % and below 100 % "
                                   "(95 % means one lead time in twenty may run short).")
    return f"{percent.normalize():f}", float(percent) / 100


@dataclass
class Form:
    values: dict
    error: FormError | None = None


@bp.get("/")
@office_required
def index():
    """The shop's figures over a period: turnover, days on hand, on-time delivery, scrap, yield."""
    today = shoptime.today()
    form = Form(values={"start": request.args.get("start", ""), "end": request.args.get("end", "")})
    try:
        period = read_period(request.args, today)
    except FormError as exc:
        form.error = exc
        return render_template("metrics/metrics.html", form=form, figures=None), 422
    form.values = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    figures = _figures(period, today)
    return render_template("metrics/metrics.html", form=form, figures=figures, period=period)


def _figures(period: Period, today: date) -> dict:
    session = db.session
    stock = turnover(session, period)
    delivery = on_time_delivery(session, period, today)
    scrap = scrap_rates(session, period)
    yields = period_yield(session, period)
    charts = {
        "part": bar_chart("Scrap rate by part", [r for r in scrap.by_part if r.scrap], value=_rate,
                          text=_scrap_text, tone=_scrap_tone),
        "center": bar_chart("Scrap rate by work center", [r for r in scrap.by_work_center if r.scrap], value=_rate,
                            text=_scrap_text, tone=_scrap_tone),
        "reason": bar_chart("Scrapped pieces by reason", scrap.by_reason, value=lambda r: r.scrap,
                            text=lambda r: f"{r.scrap} pcs", tone=lambda r: "bad"),
        # Capped at 100 %: a job with missing pulls must not squash the others' bars.
        "yield": bar_chart("Material yield by job", yields.jobs, value=lambda j: min(j.rate or 0, 1),
                           text=_yield_text, tone=lambda j: "plain" if j.plausible else "bad",
                           label=lambda j: f"{j.job.number} · {j.part.number}", limit=15),
    }
    return {"turnover": stock, "delivery": delivery, "scrap": scrap, "yield": yields, "charts": charts,
            "ncr_causes": cause_pareto(session, period.lo, period.hi),
            "counts": count_accuracy(session, period.lo, period.hi)}


@bp.get("/ncr-causes.csv")
@office_required
def ncr_causes_csv():
    """The causes' Pareto of the period, for a spreadsheet or a quality review."""
    try:
        period = read_period(request.args, shoptime.today())
    except FormError as exc:
        return exc.message, 422
    rows = ([row.cause, row.label, row.reports, row.pieces, f"{row.share:.3f}", f"{row.cumulative:.3f}"]
            for row in cause_pareto(db.session, period.lo, period.hi))
    return csv_response(f"ncr-causes-{period.start}-{period.last_day}.csv",
                        ["cause code", "cause", "NCRs", "pieces", "share", "cumulative share"], rows)


@bp.get("/yield.csv")
@office_required
def yield_csv():
    """Material yield of the period's completed jobs: planned against actual, in pounds and percent."""
    try:
        period = read_period(request.args, shoptime.today())
    except FormError as exc:
        return exc.message, 422
    rows = ([row.job.number, row.part.label, row.pieces, f"{row.finished_lb:.1f}", f"{row.pulled_lb:.1f}",
             f"{row.returned_lb:.1f}", f"{row.bar_lb:.1f}", _csv_pct(row.planned), _csv_pct(row.rate)]
            for row in period_yield(db.session, period).jobs)
    return csv_response(f"yield-{period.start}-{period.last_day}.csv",
                        ["job", "part", "good pcs", "finished lb", "bar pulled lb", "remnants returned lb",
                         "consumed lb", "planned yield %", "actual yield %"], rows)


def _csv_pct(fraction) -> str:
    return "" if fraction is None else f"{float(fraction) * 100:.{RATE_PLACES}f}"


# Scrap above 2 % of the pieces worked is worth a look, above 5 % a problem.
SCRAP_WATCH, SCRAP_PROBLEM = Decimal("0.02"), Decimal("0.05")


def _rate(row):
    return row.rate


def _scrap_text(row) -> str:
    return f"{_percent(row.rate)} ({row.scrap}/{row.good + row.scrap})" if row.rate is not None else "—"


def _scrap_tone(row) -> str:
    rate = row.rate or 0
    return "bad" if rate >= SCRAP_PROBLEM else ("warn" if rate >= SCRAP_WATCH else "good")


def _yield_text(job) -> str:
    if job.rate is None:
        return "—"
    return _percent(job.rate) + ("" if job.plausible else " pulls missing?")


# Reorder suggestions a page at a time: at 2,000 materials the whole table was 2 MB of HTML.
REORDER_PAGE_SIZE = 50
# The page's own settings, kept by its paging and search links (a setting not given stays unpinned:
# a bookmarked page 2 still shows the last 90 days up to today).
KEPT_ARGS = ("service", "start", "end")


@dataclass
class MaterialFigures:
    service_text: str
    period: Period
    holding: Decimal
    requirements: list
    needs: list
    reorder: list


def _material_figures(today: date) -> MaterialFigures:
    """Requirements, needs and reorder lines for the service level and period asked for; a FormError
    names the field to change."""
    service_text, service = read_service_level(request.args)
    period = read_period(request.args, today)
    session = db.session
    holding = Decimal(str(current_app.config.get("SPEX_HOLDING_RATE", DEFAULT_HOLDING_RATE)))
    requirements = job_requirements(session)
    needs = material_needs(session, requirements)
    try:
        reorder = reorder_lines(session, needs, start=period.start, end=period.end, service_level=service,
                                holding_rate=holding)
    except ReorderError as exc:
        raise FormError("service", exc.message) from None
    return MaterialFigures(service_text, period, holding, requirements, needs, reorder)


def _material_form() -> Form:
    return Form(values={"service": request.args.get("service", DEFAULT_SERVICE_LEVEL),
                        "start": request.args.get("start", ""), "end": request.args.get("end", "")})


@bp.get("/material")
@office_required
def material():
    """Material: what open jobs still need, what is on hand, what to buy, and reorder suggestions."""
    today = shoptime.today()
    form = _material_form()
    query = records.clean_query(request.args.get("q"))
    try:
        figures = _material_figures(today)
    except FormError as exc:
        form.error = exc
        return render_template("metrics/material.html", form=form, service_levels=SERVICE_LEVELS, query=query), 422
    period = figures.period
    form.values = {"service": figures.service_text, "start": period.start.isoformat(), "end": period.end.isoformat()}
    kept = {name: request.args[name] for name in KEPT_ARGS if request.args.get(name)}
    lines = page_of(matching(figures.reorder, query), records.page_number(request.args.get("page")),
                    REORDER_PAGE_SIZE)
    listing = dict(lines=lines, query=query, kept=kept, pager=_reorder_pager(kept, query, lines),
                   all_materials=len(figures.reorder))
    if request.htmx and request.htmx.target == "reorder-lines" and not request.htmx.history_restore_request:
        return render_template("metrics/_reorder_lines.html", **listing)
    session = db.session
    requirements, needs = figures.requirements, figures.needs
    yields = {req.part.id: planned_yield(req.part) for req in requirements}
    return render_template("metrics/material.html", form=form, service_levels=SERVICE_LEVELS,
                           requirements=requirements, needs=sorted(needs, key=lambda n: (-n.to_buy, n.material.code)),
                           reorder=figures.reorder, buy=_buy_now(session, needs, figures.reorder),
                           yields=yields, batches=part_batches(session, today, holding_rate=figures.holding),
                           holding=figures.holding, period=period, **listing)


def _reorder_pager(kept: dict, query: str, lines) -> dict:
    """Previous and next page links that keep the search, the service level and the period."""
    def page_url(page):
        return url_for(".material", **kept, q=query or None, page=page)
    return {"previous": page_url(lines.page - 1) if lines.page > 1 else None,
            "next": page_url(lines.page + 1) if lines.page < lines.pages else None}


@bp.get("/material/reorder.csv")
@office_required
def reorder_csv():
    """Every material's reorder figures, whatever page or search the screen shows."""
    try:
        figures = _material_figures(shoptime.today())
    except FormError as exc:
        form = _material_form()
        form.error = exc
        return render_template("metrics/material.html", form=form, service_levels=SERVICE_LEVELS, query=""), 422
    period = figures.period
    rows = ([line.material.code, line.material.label, line.material.stocking, line.abc,
             f"{line.usage.mean:.3f}", f"{line.usage.stdev:.3f}", f"{line.lead_days:.1f}", line.lead_samples,
             f"{line.stdev_lead_days:.2f}", f"{line.safety_stock:.1f}", f"{line.reorder_point:.1f}",
             f"{line.trigger:.1f}", _csv_qty(line.material.min_qty), _csv_qty(line.material.max_qty),
             f"{line.on_hand}", f"{line.on_order}", f"{line.required}", f"{line.position}",
             f"{line.eoq:.0f}" if line.eoq is not None else "",
             f"{line.suggested_qty:.0f}" if line.order_now else "", line.material.unit]
            for line in figures.reorder)
    return csv_response(f"reorder-{period.start}-{period.last_day}.csv",
                        ["material", "description", "stocking", "ABC", "usage per day", "usage stdev per day",
                         "lead days", "lead time receipts", "lead stdev days", "safety stock", "reorder point",
                         "order at", "min", "max", "on hand", "on order", "open job requirements", "position",
                         "EOQ", "order", "unit"], rows)


def _csv_qty(value) -> str:
    return "" if value is None else f"{value}"


def _buy_now(session, needs, reorder):
    """The purchasing buy list (the one the start page shows) for the page's service level and usage
    period, largest order value first."""
    items = buy_list(session, needs=needs, lines=reorder)
    return sorted(items, key=lambda item: (-(item.cost or 0.0), item.material.code))


# Yields, scrap rates and on-time rates are read to a tenth of a percent everywhere they show:
# a whole percent hides the half-percent a wrong density or a missed pull makes.
RATE_PLACES = 1


@bp.app_template_filter("metrics_pct")
def _percent(fraction, places: int = RATE_PLACES) -> str:
    """0.1234 → "12.3 %"; nothing known → "—"."""
    return "—" if fraction is None else f"{float(fraction) * 100:,.{places}f} %"


@bp.app_template_filter("metrics_num")
def _number(value, places: int = 0) -> str:
    """1234.5 → "1,234.5" with the given places; nothing known → "—"."""
    return "—" if value is None else f"{float(value):,.{places}f}"
