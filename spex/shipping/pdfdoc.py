"""The shipping documents' page: Letter, the shop's name at the head, a face that prints any name.

The system's DejaVu Sans is embedded when present (a customer's or a vendor's name may be beyond
Latin-1); without it the core Helvetica, with what it cannot print replaced.
"""
from __future__ import annotations

from flask import Response
from fpdf import FPDF

from spex.labels import code128, fonts
from spex.labels.png import bar_runs

FACE = "DocFace"


class Document(FPDF):
    """A shipping document: every page headed with the shop and the document's title, numbered."""

    def __init__(self, shop: str, title: str):
        super().__init__(unit="mm", format="Letter")
        self.shop, self.doc_title = shop, title
        self.set_creator("Spex shipping")
        self.set_title(title)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.face = self._load_face()
        self.section_start, self.sections = 1, 0
        self.page_title, self.page_in_section = title, 1

    def new_section(self, title: str) -> int:
        """Start a part of the document with its own title and page count (several certs' figures made
        in one document, so the face is loaded once); returns the 0-based index of its first page."""
        self.doc_title, self.section_start, self.sections = title, self.page_no() + 1, self.sections + 1
        self.add_page()
        return self.page_no() - 1

    def _load_face(self) -> str:
        regular, bold = (getattr(fonts.font(20, b), "path", None) for b in (False, True))
        if regular and bold:
            self.add_font(FACE, "", regular)
            self.add_font(FACE, "B", bold)
            return FACE
        return "Helvetica"

    def text_of(self, value) -> str:
        text = "" if value is None else str(value)
        if self.face == FACE:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.face, "B" if bold else "", size)

    def header(self):
        self.page_title, self.page_in_section = self.doc_title, self.page_no() - self.section_start + 1
        self.use(9)
        self.cell(0, 5, self.text_of(self.shop), new_x="LMARGIN", new_y="NEXT")
        self.use(16, bold=True)
        self.cell(0, 9, self.text_of(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self):
        self.set_y(-13)
        self.use(8)
        if self.sections > 1:
            self.cell(0, 5, f"{self.page_title} - page {self.page_in_section}", align="C")
        else:
            self.cell(0, 5, f"{self.page_title} - page {self.page_no()} of {{nb}}", align="C")

    def line_of(self, text, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.use(size, bold)
        self.multi_cell(0, height, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs) -> None:
        for label, value in pairs:
            self.use(10, bold=True)
            self.cell(38, 6, self.text_of(label))
            self.use(10)
            self.multi_cell(0, 6, self.text_of(value or "-"), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def barcode(self, data: str, module_mm: float = 0.33, height_mm: float = 12) -> None:
        """A Code 128 symbol at the top right of the page, its text under it (scanned at the bench)."""
        pattern = code128.modules(data)
        left = self.w - self.r_margin - len(pattern) * module_mm
        top = self.t_margin
        self.set_fill_color(0, 0, 0)
        for start, width in bar_runs(pattern):
            self.rect(left + start * module_mm, top, width * module_mm, height_mm, style="F")
        self.use(8)
        self.set_xy(left, top + height_mm + 0.5)
        self.cell(len(pattern) * module_mm, 4, data, align="C")
        self.set_xy(self.l_margin, top)

    def bytes(self) -> bytes:
        return bytes(self.output())


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
