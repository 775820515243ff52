"""PDF output: single labels (page = label) and multi-up sheets for laser printers, drawn as
vectors from the same placed label as the PNG and ZPL — bars as rectangles on whole dots."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Iterable

from fpdf import FPDF

from . import fonts
from .layouts import (LabelError, PlacedBarcode, PlacedBox, PlacedImage, PlacedLabel,
                      PlacedMatrix, PlacedText, labels_dir, to_dots)
from .png import bar_runs

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    width_mm: float
    height_mm: float
    margin_mm: float
    gap_mm: float

    def grid(self, label_w_mm: float, label_h_mm: float) -> tuple[int, int]:
        usable_w = self.width_mm - 2 * self.margin_mm
        usable_h = self.height_mm - 2 * self.margin_mm
        columns = int((usable_w + self.gap_mm) // (label_w_mm + self.gap_mm))
        rows = int((usable_h + self.gap_mm) // (label_h_mm + self.gap_mm))
        return columns, rows


def sheets(directory=None) -> dict[str, Sheet]:
    path = labels_dir(directory) / "sheets.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    found = {}
    for name, sheet in raw.items():
        def mm(value):
            return to_dots(value, MM_PER_INCH, "in")
        found[name] = Sheet(name, sheet.get("title", name), mm(sheet["width"]), mm(sheet["height"]),
                            mm(sheet.get("margin", 0)), mm(sheet.get("gap", 0)))
    return found


def _new_pdf(width_mm: float, height_mm: float) -> FPDF:
    pdf = FPDF(unit="mm", format=(width_mm, height_mm))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("Spex label station")
    return pdf


def _use_font(pdf: FPDF, text: str, bold: bool, size_pt: float) -> None:
    """Core Helvetica when the text is Latin-1 (no font file to parse and embed: a single label
    PDF is made ten times faster); the system TrueType face for anything beyond."""
    style = "B" if bold else ""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        path = getattr(fonts.font(20, bold), "path", None)
        if path:
            if f"labelface{style.lower()}" not in pdf.fonts:
                pdf.add_font("LabelFace", style, path)
            pdf.set_font("LabelFace", style, size_pt)
            return
    pdf.set_font("Helvetica", style, size_pt)


def _draw(pdf: FPDF, label: PlacedLabel, left_mm: float, top_mm: float) -> None:
    scale = MM_PER_INCH / label.dpi  # one printer dot in mm
    pdf.set_fill_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)

    def at(x_dots: float, y_dots: float) -> tuple[float, float]:
        return left_mm + x_dots * scale, top_mm + y_dots * scale

    for item in label.items:
        if isinstance(item, PlacedBarcode):
            for start, run in bar_runs(item.modules):
                x, y = at(item.x + start * item.module_dots, item.y)
                pdf.rect(x, y, run * item.module_dots * scale, item.height * scale, style="F")
        elif isinstance(item, PlacedMatrix):
            for row_number, row in enumerate(item.matrix):
                for start, run in bar_runs(row):
                    x, y = at(item.x + start * item.module_dots,
                              item.y + row_number * item.module_dots)
                    pdf.rect(x, y, run * item.module_dots * scale, item.module_dots * scale,
                             style="F")
        elif isinstance(item, PlacedBox):
            if item.thickness * 2 >= min(item.width, item.height):
                x, y = at(item.x, item.y)
                pdf.rect(x, y, item.width * scale, item.height * scale, style="F")
            else:
                # Four filled strips: the stroke lies inside the box exactly as on the PNG.
                t = item.thickness
                for bx, by, bw, bh in ((item.x, item.y, item.width, t),
                                       (item.x, item.y + item.height - t, item.width, t),
                                       (item.x, item.y, t, item.height),
                                       (item.x + item.width - t, item.y, t, item.height)):
                    x, y = at(bx, by)
                    pdf.rect(x, y, bw * scale, bh * scale, style="F")
        elif isinstance(item, PlacedImage):
            # The original artwork, not the dithered dots: a laser prints it finer.
            x, y = at(item.x, item.y)
            pdf.image(str(item.path), x, y, item.width * scale, item.height * scale,
                      keep_aspect_ratio=True)
        elif isinstance(item, PlacedText) and item.text:
            _draw_text(pdf, item, at, scale, label.dpi)


def _draw_text(pdf: FPDF, item: PlacedText, at, scale: float, dpi: int) -> None:
    ascent, _ = fonts.font(item.height, item.bold).getmetrics()
    _use_font(pdf, item.text, item.bold, item.height / dpi * 72)
    text = item.text
    if pdf.font_family == "helvetica":
        text = text.encode("latin-1", "replace").decode("latin-1")
    width = pdf.get_string_width(text) / scale  # in dots, measured in the face being used
    x = item.x
    if item.align == "center":
        x += (item.width - width) / 2
    elif item.align == "right":
        x += item.width - width
    px, py = at(x, item.y + ascent)  # same baseline as the PNG
    pdf.text(px, py, text)


def render_pdf(labels: Iterable[PlacedLabel]) -> bytes:
    """One label per page, each page the size of its label (for label printers via PDF)."""
    pdf = None
    for label in labels:
        w_mm, h_mm = label.width / label.dpi * MM_PER_INCH, label.height / label.dpi * MM_PER_INCH
        if pdf is None:
            pdf = _new_pdf(w_mm, h_mm)
        pdf.add_page(format=(w_mm, h_mm))
        _draw(pdf, label, 0, 0)
    if pdf is None:
        raise LabelError("nothing to print")
    return bytes(pdf.output())


def render_sheet_pdf(labels: Iterable[PlacedLabel], sheet: Sheet) -> bytes:
    """Multi-up: labels fill a sheet row by row, a new page when one is full."""
    labels = list(labels)
    if not labels:
        raise LabelError("nothing to print")
    first = labels[0]
    w_mm, h_mm = first.width / first.dpi * MM_PER_INCH, first.height / first.dpi * MM_PER_INCH
    columns, rows = sheet.grid(w_mm, h_mm)
    if columns < 1 or rows < 1:
        raise LabelError(f"a {first.kind} label does not fit on a {sheet.title} sheet")
    pdf = _new_pdf(sheet.width_mm, sheet.height_mm)
    per_page = columns * rows
    for index, label in enumerate(labels):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
        column, row = slot % columns, slot // columns
        left = sheet.margin_mm + column * (w_mm + sheet.gap_mm)
        top = sheet.margin_mm + row * (h_mm + sheet.gap_mm)
        _draw(pdf, label, left, top)
    return bytes(pdf.output())
