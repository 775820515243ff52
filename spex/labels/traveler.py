"""The job traveler: the paper that goes with the parts, one Code 128 per operation so the floor
scans JOB-<number>-<op> straight off it. Built once as plain values, shown as an HTML page with
a print stylesheet, or drawn as a PDF."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from spex import codes, ledger
from spex.labels import code128
from spex.labels.layouts import LabelError, labels_dir
from spex.labels.png import bar_runs
from spex.models import Job, LedgerEntry, MaterialLot, StockUnit


@dataclass
class TravelerOperation:
    seq: int
    code: str
    description: str
    kind: str  # inhouse / outside
    where: str  # work center or vendor
    setup_min: str
    run_min_per_piece: str
    turnaround_days: int
    planned_hours: str

    @property
    def is_outside(self) -> bool:
        return self.kind == "outside"


@dataclass
class Traveler:
    number: str
    code: str
    part: str
    description: str
    customer: str
    material: str
    heats: list[str]
    quantity: int
    due_date: str
    status: str
    notes: str
    customer_pos: list[str]
    operations: list[TravelerOperation] = field(default_factory=list)
    cut_head: str = ""  # the cut length and bar end, or why there is no plan
    cut_lines: list[str] = field(default_factory=list)  # in pull order: "LOT-1187-05 (remnant, 30): 2 pcs, ..."
    cut_short: str = ""  # pieces no stock covered


def _cut_plan(session: Session, job: Job) -> tuple[str, list[str], str]:
    """The job's cut plan as lines of paper: what to pull, in order, and where each drop goes."""
    from spex.planning.cutplan import plan_of

    plan = plan_of(session, job)
    if plan.missing:
        return f"No cut plan: {plan.missing}", [], ""
    if plan.per_plate:
        head = f"{plan.per_plate} blanks a plate"
    else:
        head = f"Cut {_plain(plan.cut_length)} in a piece, bar end {_plain(plan.bar_end)} in"
    head += "" if plan.stored else " (proposed from stock on hand)"
    lines = [f"{line.words} (lot {line.unit.lot.number}, heat {line.unit.lot.heat_number})" for line in plan.lines]
    short = (f"{plan.short} pcs not covered by stock" + (f": buy {plan.to_buy}" if plan.to_buy else "")) \
        if plan.short else ""
    return head, lines, short


def _plain(value) -> str:
    """30.000 -> '30', 2.500 -> '2.5': how times are written on paper."""
    return f"{Decimal(value or 0).normalize():f}"


def build_traveler(session: Session, job_number: str) -> Traveler:
    number = (job_number or "").strip().upper()
    if number.startswith(codes.JOB):
        number = number[len(codes.JOB):]
    job = session.scalar(select(Job).where(Job.number == number))
    if job is None:
        raise LabelError(f"no job {codes.JOB}{number}")
    heats = list(session.scalars(
        select(MaterialLot.heat_number).distinct()
        .join(StockUnit, StockUnit.lot_id == MaterialLot.id)
        .join(LedgerEntry, LedgerEntry.stock_unit_id == StockUnit.id)
        .where(LedgerEntry.job_id == job.id, LedgerEntry.kind == ledger.PULL)
        .order_by(MaterialLot.heat_number)))
    part = job.part
    operations = []
    for op in job.operations:
        setup, run = Decimal(op.setup_min or 0), Decimal(op.run_min_per_piece or 0)
        if op.is_outside:
            where = op.vendor.name if op.vendor else "vendor not set"
        else:
            where = op.work_center.name if op.work_center else "work center not set"
        hours = ((setup + run * job.quantity) / 60).quantize(Decimal("0.1"))
        operations.append(TravelerOperation(op.seq, op.barcode, op.description or "", op.kind, where,
                                            _plain(setup), _plain(run), op.turnaround_days or 0,
                                            _plain(hours)))
    return Traveler(
        number=job.number, code=job.barcode, part=part.label, description=part.description or "",
        customer=part.customer.name if part.customer else "",
        material=part.material.label if part.material else (part.blank_size or "not set"),
        heats=heats, quantity=job.quantity, due_date=job.due_date.isoformat(), status=job.status,
        notes=job.notes or "",
        customer_pos=sorted({line.order.po_number for line in job.order_lines if line.order}),
        operations=operations, **dict(zip(("cut_head", "cut_lines", "cut_short"), _cut_plan(session, job))),
    )


def barcode_data_uri(code: str, module_px: int = 2, height_px: int = 56) -> tuple[str, int]:
    """A Code 128 as a PNG data URI for the HTML traveler, and the CSS width to show it at: drawn
    with `module_px` pixels per module and shown at one CSS pixel per module, so a printer or a
    high-density screen gets whole device pixels per bar (image-rendering: pixelated)."""
    modules = code128.modules(code)
    quiet = 10 * module_px
    image = Image.new("1", (len(modules) * module_px + 2 * quiet, height_px), 1)
    draw = ImageDraw.Draw(image)
    for start, run in bar_runs(modules):
        left = quiet + start * module_px
        draw.rectangle((left, 0, left + run * module_px - 1, height_px - 1), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return uri, image.width // module_px


# --- PDF --------------------------------------------------------------------------------------

MODULE_MM = 0.3  # a traveler is laser-printed: 0.3 mm bars read from arm's length


def _barcode(pdf: FPDF, code: str, x: float, y: float, height: float, module: float = MODULE_MM) -> float:
    """Code 128 bars as filled rectangles; returns the symbol's width (quiet zones excluded)."""
    modules = code128.modules(code)
    pdf.set_fill_color(0, 0, 0)
    for start, run in bar_runs(modules):
        pdf.rect(x + start * module, y, run * module, height, style="F")
    return len(modules) * module


def _latin(text: str) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def render_traveler_pdf(traveler: Traveler, directory=None) -> bytes:
    pdf = FPDF(unit="mm", format="Letter")
    pdf.set_auto_page_break(False)
    pdf.set_margins(12, 12, 12)
    pdf.set_title(f"Traveler {traveler.code}")
    pdf.set_creator("Spex label station")
    logo = labels_dir(directory) / "logo.png"
    page_h = pdf.h
    left, right = 12, pdf.w - 12

    def header() -> float:
        pdf.add_page()
        if Path(logo).is_file():
            pdf.image(str(logo), left, 10, h=9)
        pdf.set_font("Helvetica", "B", 18)
        pdf.text(left + 36, 17, "JOB TRAVELER")
        width = len(code128.modules(traveler.code)) * 0.33
        _barcode(pdf, traveler.code, right - width - 3.3, 8, 11, 0.33)
        pdf.set_font("Helvetica", "", 9)
        pdf.text(right - width - 3.3 + width / 2 - pdf.get_string_width(traveler.code) / 2, 23.5,
                 traveler.code)
        pdf.set_line_width(0.5)
        pdf.line(left, 26, right, 26)
        return 30

    y = header()
    facts = [
        ("Job", traveler.code), ("Part", traveler.part), ("Description", traveler.description),
        ("Customer", traveler.customer), ("Customer PO", ", ".join(traveler.customer_pos) or "stock"),
        ("Material", traveler.material), ("Heat(s)", ", ".join(traveler.heats) or "none issued yet"),
        ("Quantity", f"{traveler.quantity} pcs"), ("Due", traveler.due_date), ("Status", traveler.status),
    ]
    column_w = (right - left) / 2
    for index, (name, value) in enumerate(facts):
        x = left + (index % 2) * column_w
        row_y = y + (index // 2) * 6.5
        pdf.set_font("Helvetica", "", 8)
        pdf.text(x, row_y + 3, name.upper())
        pdf.set_font("Helvetica", "B", 11)
        text = _latin(value)
        while pdf.get_string_width(text) > column_w - 26 and len(text) > 3:
            text = text[:-1]
        pdf.text(x + 24, row_y + 3.2, text)
    y += ((len(facts) + 1) // 2) * 6.5 + 2
    if traveler.notes:
        pdf.set_font("Helvetica", "I", 9)
        pdf.set_xy(left, y)
        pdf.multi_cell(right - left, 4.5, _latin("Notes: " + traveler.notes))
        y = pdf.get_y() + 2

    pdf.set_font("Helvetica", "B", 9)
    pdf.text(left, y + 3, _latin("CUT PLAN - " + traveler.cut_head))
    y += 5
    pdf.set_font("Helvetica", "", 8.5)
    for number, line in enumerate(traveler.cut_lines[:8], start=1):
        pdf.text(left + 3, y + 3, _latin(f"{number}. {line}")[:120])
        y += 4.2
    if traveler.cut_short:
        pdf.text(left + 3, y + 3, _latin(traveler.cut_short))
        y += 4.2
    y += 1

    def table_head(y: float) -> float:
        pdf.set_fill_color(229, 231, 235)
        pdf.rect(left, y, right - left, 6, style="F")
        pdf.set_font("Helvetica", "B", 8)
        for x, title in ((left + 1.5, "OP"), (left + 12, "OPERATION / WHERE"), (left + 72, "TIMES"),
                         (left + 104, "SCAN"), (left + 150, "SIGN-OFF")):
            pdf.text(x, y + 4.2, title)
        return y + 6

    y = table_head(y + 2)
    row_h = 27
    for op in traveler.operations:
        if y + row_h > page_h - 12:
            y = table_head(header())
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        pdf.line(left, y + row_h, right, y + row_h)
        pdf.set_font("Helvetica", "B", 14)
        pdf.text(left + 1.5, y + 7, str(op.seq))
        pdf.set_font("Helvetica", "B", 10)
        pdf.text(left + 12, y + 6, _latin(op.description or ("Outside process" if op.is_outside else "Operation"))[:34])
        pdf.set_font("Helvetica", "", 9)
        pdf.text(left + 12, y + 11, _latin(("Vendor: " if op.is_outside else "At: ") + op.where)[:38])
        pdf.set_font("Helvetica", "", 8)
        if op.is_outside:
            times = [f"Turnaround {op.turnaround_days} d", "Ship out / receive back"]
        else:
            times = [f"Setup {op.setup_min} min", f"Run {op.run_min_per_piece} min/pc",
                     f"Planned {op.planned_hours} h"]
        for line_no, line in enumerate(times):
            pdf.text(left + 72, y + 6 + line_no * 4.2, line)
        # 0.3 mm modules, narrower only if a long job number would run into the sign-off space.
        module = min(MODULE_MM, 38 / len(code128.modules(op.code)))
        bar_w = _barcode(pdf, op.code, left + 104 + 3, y + 3, 15, module)
        pdf.set_font("Helvetica", "", 8)
        pdf.text(left + 107 + bar_w / 2 - pdf.get_string_width(op.code) / 2, y + 21.5, op.code)
        pdf.set_font("Helvetica", "", 7.5)
        for line_no, label in enumerate(("Good ______  Scrap ______", "Operator ____________",
                                         "Date ________________")):
            pdf.text(left + 150, y + 7 + line_no * 6.5, label)
        y += row_h
    pdf.set_font("Helvetica", "", 7)
    pdf.text(left, page_h - 7, _latin(f"Spex traveler {traveler.code} - scan each operation's code at the station."))
    return bytes(pdf.output())
