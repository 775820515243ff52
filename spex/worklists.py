"""Each role's start page is its work: one section per source of work, listed per role in WORK_SOURCES.

A source is a function (session, now) -> Section | None: None when the shop has nothing of that kind
yet (a feature not built, or nothing to show that must be shown). A new kind of work — purchase
orders due in, bins due for counting, counts waiting approval — is one more function here, or a
function of its own room named in WORK_SOURCES; the page and the CSV download need nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from spex import codes, ledger, shoptime
from spex.models import Balance, Location, MaterialLot, PrintJob, ReceivingHold, StockUnit

# A start page shows this many rows of a section; the rest are one link (and the CSV) away.
SHOWN_ROWS = 25
# Where a remnant is put away: anywhere else (a cart, the receiving dock, an area) it waits for a handler.
STORAGE_KINDS = ("bin", "rack")


@dataclass
class Section:
    """One block of a start page: its rows drawn by its own partial, the same rows as CSV."""
    key: str                 # the block's id on the page and its CSV's name: "late-jobs"
    title: str
    template: str            # the partial that draws the rows: "start/_late_jobs.html"
    rows: list
    empty: str               # what the block says when nothing waits
    csv_header: list[str] = field(default_factory=list)
    csv_row: object = None   # row -> list of cells
    more: tuple[str, str] | None = None  # (url, text) of the room where the rest of this work lives

    @property
    def shown(self) -> list:
        return self.rows[:SHOWN_ROWS]

    @property
    def hidden(self) -> int:
        return max(0, len(self.rows) - SHOWN_ROWS)


# --- the planner ---------------------------------------------------------------------------------

def late_and_at_risk_jobs(session: Session, now: datetime) -> Section:
    """Open jobs the board shows LATE, PAST DUE or AT RISK, in the board's order, from the same kept schedule."""
    from spex.wip.cache import aged, open_board
    jobs = [aged(job, now) for job in open_board(session, now=now) if job.risk in ("late", "at_risk")]
    return Section(
        key="late-jobs", title="Late and at-risk jobs", template="start/_late_jobs.html", rows=jobs,
        empty="Every open job is on time.", more=(url_for("wip.board"), "The WIP board"),
        csv_header=["job", "risk", "part", "customer", "quantity", "due", "projected finish", "slack workdays", "now at"],
        csv_row=lambda j: [j.number, j.risk_text, f"{j.part_number} rev {j.part_rev}", j.customer_name, j.quantity,
                           j.due_date.isoformat(), j.projected_finish.isoformat() if j.projected_finish else "",
                           j.slack_days, "; ".join(f"op {op.seq} {op.where}" for op in j.current_ops)])


def buy_now_list(session: Session, now: datetime) -> Section:
    """What to order now, in the shop's words (spex/purchasing/needs.py): job needs, reorder points,
    what is already on order, grouped on the buy list by supplier."""
    from spex.purchasing.needs import buy_list
    return Section(
        key="buy-now", title="Buy now", template="start/_buy_now.html", rows=buy_list(session),
        empty="Nothing to buy: open jobs are covered by stock and what is on order.",
        more=(url_for("purchasing.buy"), "The buy list, by supplier, with CSV"),
        csv_header=["material", "order", "supplier", "on order", "why"],
        csv_row=lambda b: [b.material.code, b.order_words, b.supplier.name if b.supplier else "",
                           f"{b.on_order:f}", b.words])


def counts_waiting_approval(session: Session, now: datetime) -> Section:
    """Cycle counts whose variance was above tolerance: the books wait for a planner's approval."""
    from spex.counts.counting import variance_words, waiting
    rows = [(count, [variance_words(line) for line in count.lines if not line.is_right]) for count in waiting(session)]
    return Section(
        key="counts-waiting", title="Counts waiting approval", template="start/_counts_waiting.html", rows=rows,
        empty="No count waits for approval.", more=(url_for("counts.index"), "Cycle counts"),
        csv_header=["count", "bin", "counted by", "finished", "variance"],
        csv_row=lambda r: [r[0].number, r[0].location.barcode, r[0].counted_by.name if r[0].counted_by else "",
                           shoptime.local(r[0].finished_at).strftime("%Y-%m-%d %H:%M") if r[0].finished_at else "",
                           "; ".join(r[1])])


# --- the material handler ------------------------------------------------------------------------

@dataclass
class RemnantWaiting:
    unit: StockUnit
    length: Decimal
    where: Location | None
    why: str

    @property
    def length_text(self) -> str:
        return ledger.format_qty(self.length)


def remnants_to_put_away(session: Session, now: datetime) -> Section:
    """Remnants not yet in a bin or rack (returned to a cart or the dock), and remnants whose label
    has not printed: each needs a handler before anyone else can find it."""
    unlabelled = set(session.scalars(select(PrintJob.code).where(PrintJob.kind == "remnant",
                                                                  PrintJob.status.in_(("queued", "failed")))))
    rows = session.execute(
        select(StockUnit, Balance.quantity, Location)
        .join(Balance, Balance.item == ledger.key_sql(ledger.UNIT_KEY, StockUnit.id))
        .outerjoin(Location, Balance.place == ledger.key_sql(ledger.LOCATION_KEY, Location.id))
        .where(StockUnit.kind == "remnant", Balance.quantity > 0)
        .options(selectinload(StockUnit.lot).selectinload(MaterialLot.material))
        .order_by(StockUnit.created_at)).all()
    waiting = []
    for unit, length, where in rows:
        reasons = []
        if where is None or where.kind not in STORAGE_KINDS:
            reasons.append(f"on {where.code if where else 'no bin'}{f' ({where.kind})' if where else ''}: put it in a bin")
        if unit.barcode in unlabelled or unit.code in unlabelled:
            reasons.append("label not printed")
        if reasons:
            waiting.append(RemnantWaiting(unit=unit, length=length, where=where, why="; ".join(reasons)))
    return Section(
        key="remnants", title="Remnants to put away", template="start/_remnants.html", rows=waiting,
        empty="Every remnant is labelled and in a bin.", more=(url_for("labels.index"), "Labels: reprint a remnant's"),
        csv_header=["remnant", "material", "heat", "length", "where", "why"],
        csv_row=lambda r: [r.unit.barcode, r.unit.lot.material.code, r.unit.lot.heat_number, r.length_text,
                           r.where.code if r.where else "", r.why])


@dataclass
class LotOnHold:
    hold: ReceivingHold
    lot: MaterialLot


def receiving_waiting(session: Session, now: datetime) -> Section:
    """Lots received but on receiving hold (a cert outside limits, or none): the bars wait at the dock
    or in their bin until an inspector releases them. (Purchase orders due in: purchase_orders_due_in.)"""
    holds = [LotOnHold(hold, lot) for hold, lot in session.execute(
        select(ReceivingHold, MaterialLot).join(MaterialLot, MaterialLot.id == ReceivingHold.lot_id)
        .where(ReceivingHold.released_at.is_(None)).options(selectinload(MaterialLot.material))
        .order_by(ReceivingHold.placed_at))]
    return Section(
        key="receiving", title="Received lots on hold", template="start/_receiving.html", rows=holds,
        empty="No received lot waits on a receiving hold.", more=(url_for("receiving.receive"), "Receive material"),
        csv_header=["lot", "material", "heat", "supplier", "PO", "held since", "why"],
        csv_row=lambda h: [f"{codes.LOT}{h.lot.number}", h.lot.material.code, h.lot.heat_number, h.lot.supplier,
                           h.lot.po_number or "", shoptime.local(h.hold.placed_at).strftime("%Y-%m-%d %H:%M"),
                           h.hold.reason])


def purchase_orders_due_in(session: Session, now: datetime) -> Section:
    """Lines of sent purchase orders still to come, due this week or overdue first: what the dock
    should expect (each received by scanning the PO at Receive)."""
    from spex.models import PurchaseOrder, PurchaseOrderLine
    from spex.models.purchasing import PARTLY_RECEIVED, RECEIVABLE_PO_STATES, SENT
    today = shoptime.local_date(now)
    week_end = today + timedelta(days=6 - today.weekday())
    lines = list(session.scalars(
        select(PurchaseOrderLine).join(PurchaseOrder)
        .where(PurchaseOrder.status.in_(RECEIVABLE_PO_STATES), PurchaseOrderLine.status.in_((SENT, PARTLY_RECEIVED)),
               PurchaseOrderLine.due_date <= week_end)
        .options(selectinload(PurchaseOrderLine.order).selectinload(PurchaseOrder.vendor),
                 selectinload(PurchaseOrderLine.material))
        .order_by(PurchaseOrderLine.due_date, PurchaseOrderLine.po_id, PurchaseOrderLine.line_no)))
    rows = [(line, (today - line.due_date).days) for line in lines]
    return Section(
        key="pos-due", title="Purchase orders due in this week", template="start/_pos_due.html", rows=rows,
        empty="No purchase order is due in this week.", more=(url_for("purchasing.orders"), "Purchase orders"),
        csv_header=["po", "line", "supplier", "material", "ordered", "still to come", "due", "days overdue"],
        csv_row=lambda r: [r[0].order.barcode, r[0].line_no, r[0].order.vendor.name, r[0].material.code,
                           r[0].words, f"{r[0].open_qty.normalize():f} {r[0].material.unit}",
                           r[0].due_date.isoformat(), max(r[1], 0)])


def bins_due_for_counting(session: Session, now: datetime) -> Section:
    """Bins due for a cycle count by their ABC schedule (CMD-COUNT is how the handler counts them)."""
    from spex.config import DEFAULT_COUNT_DAYS
    from spex.counts.schedule import due
    days = {**DEFAULT_COUNT_DAYS, **(current_app.config.get("SPEX_COUNT_DAYS") or {})}
    return Section(
        key="bins-due", title="Bins due for counting", template="start/_bins_due.html", rows=due(session, days),
        empty="No bin is due for a count.", more=(url_for("counts.schedule_page"), "The count schedule"),
        csv_header=["bin", "class", "value", "units", "last counted", "due"],
        csv_row=lambda b: [b.location.barcode, b.abc, f"{b.value:.2f}", b.units,
                           b.last_counted.isoformat() if b.last_counted else "never", b.due.isoformat()])


WORK_SOURCES = {
    codes.MATERIAL_HANDLER: (purchase_orders_due_in, receiving_waiting, remnants_to_put_away, bins_due_for_counting),
    codes.PLANNER: (late_and_at_risk_jobs, buy_now_list, counts_waiting_approval),
}


def work_of(session: Session, role: str, now: datetime) -> list[Section]:
    """The sections of a role's start page, in their order; a role without a work list has none."""
    sections = (source(session, now) for source in WORK_SOURCES.get(role, ()))
    return [section for section in sections if section is not None]


def section_of(session: Session, role: str, key: str, now: datetime) -> Section | None:
    return next((s for s in work_of(session, role, now) if s.key == key), None)
