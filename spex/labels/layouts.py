"""Label layouts: reads the shop-editable TOML files in `labels/` and places their elements in
printer dots for one record, so the PNG, PDF and ZPL outputs all print the very same label."""
from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from PIL import Image

from . import code128, fonts

# The repository's top-level labels/ folder; a shop may point LABELS_DIR elsewhere.
DEFAULT_LABELS_DIR = Path(__file__).resolve().parents[2] / "labels"

ELEMENT_TYPES = ("text", "barcode", "datamatrix", "qr", "line", "box", "image")
QUIET_ZONE_MODULES = 10  # Code 128 needs ten modules of white either side to decode
_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(in|mm|pt|dots)?\s*$")


class LabelError(ValueError):
    """A label cannot be made: unknown kind, missing field, code too long for its space."""


@dataclass(frozen=True)
class LabelLayout:
    kind: str
    title: str
    width: str
    height: str
    dpi: int
    units: str
    code_field: str
    elements: tuple[dict[str, Any], ...]
    sample: dict[str, Any]
    source: Path

    def size_in_inches(self) -> tuple[float, float]:
        return (to_dots(self.width, 1, self.units), to_dots(self.height, 1, self.units))

    def size_in_dots(self, dpi: int) -> tuple[int, int]:
        """The PNG's size in pixels at dpi: one pixel per printer dot, rounded as the label is placed."""
        return (int(round(to_dots(self.width, dpi, self.units))), int(round(to_dots(self.height, dpi, self.units))))

    def fields(self) -> list[str]:
        """Every placeholder the layout's elements ask for, in order of appearance."""
        names: list[str] = []
        for element in self.elements:
            for key in ("text", "data"):
                if key in element:
                    for _, name, _, _ in string.Formatter().parse(str(element[key])):
                        if name and name not in names:
                            names.append(name)
        return names


# --- placed items, in dots -------------------------------------------------------------

@dataclass(frozen=True)
class PlacedText:
    x: int
    y: int
    text: str
    height: int  # font size in dots (the em box), shrunk to fit the width if needed
    bold: bool
    width: int  # the box the text is aligned in
    align: str


@dataclass(frozen=True)
class PlacedBarcode:
    x: int  # left edge of the first bar (the quiet zone lies left of it)
    y: int
    data: str
    modules: str  # '1' = bar, '0' = space, one character per module
    module_dots: int
    height: int

    @property
    def width(self) -> int:
        return len(self.modules) * self.module_dots


@dataclass(frozen=True)
class PlacedMatrix:
    x: int
    y: int
    data: str
    symbology: str  # 'datamatrix' or 'qr'
    matrix: tuple[str, ...]  # rows of '1'/'0'
    module_dots: int

    @property
    def size(self) -> int:
        return len(self.matrix) * self.module_dots


@dataclass(frozen=True)
class PlacedBox:
    x: int
    y: int
    width: int
    height: int
    thickness: int  # a filled rectangle when thickness >= min(width, height)


@dataclass(frozen=True)
class PlacedImage:
    x: int
    y: int
    width: int
    height: int
    path: Path


@dataclass
class PlacedLabel:
    kind: str
    code: str
    width: int
    height: int
    dpi: int
    items: list = field(default_factory=list)

    def barcodes(self) -> list[PlacedBarcode]:
        return [item for item in self.items if isinstance(item, PlacedBarcode)]


# --- reading the files -----------------------------------------------------------------

def to_dots(value: Any, dpi: float, units: str = "in") -> float:
    """'4in', '50.8mm', '12pt', '30dots' or a bare number in the layout's units -> dots."""
    if isinstance(value, (int, float)):
        number, unit = float(value), units
    else:
        match = _LENGTH.match(str(value))
        if not match:
            raise LabelError(f"'{value}' is not a length (write e.g. 4in, 50.8mm, 12pt)")
        number, unit = float(match.group(1)), match.group(2) or units
    if unit == "in":
        return number * dpi
    if unit == "mm":
        return number / 25.4 * dpi
    if unit == "pt":
        return number / 72 * dpi
    if unit == "dots":
        return number
    raise LabelError(f"unknown unit '{unit}'")


def labels_dir(directory: Path | str | None = None) -> Path:
    return Path(directory) if directory else DEFAULT_LABELS_DIR


def label_kinds(directory: Path | str | None = None) -> list[str]:
    return sorted(p.stem for p in labels_dir(directory).glob("*.toml") if p.stem != "sheets")


def load_layout(kind: str, directory: Path | str | None = None) -> LabelLayout:
    if not re.fullmatch(r"[a-z0-9_]+", kind or ""):
        raise LabelError(f"unknown label kind '{kind}'")
    path = labels_dir(directory) / f"{kind}.toml"
    if not path.is_file():
        raise LabelError(f"unknown label kind '{kind}' (no {path.name} in labels/)")
    stat = path.stat()
    return _load_layout_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_layout_cached(path: Path, _mtime: int, _size: int) -> LabelLayout:
    # Keyed on mtime and size so an edited file is picked up without a restart.
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LabelError(f"{path.name}: {exc}") from exc
    units = raw.get("units", "in")
    elements = []
    for number, element in enumerate(raw.get("element", []), start=1):
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            raise LabelError(f"{path.name}: element {number} has unknown type '{kind}'")
        elements.append(dict(element))
    try:
        layout = LabelLayout(
            kind=path.stem,
            title=raw.get("title", path.stem.replace("_", " ")),
            width=raw["width"],
            height=raw["height"],
            dpi=int(raw.get("dpi", 203)),
            units=units,
            code_field=raw.get("code_field", "code"),
            elements=tuple(elements),
            sample=dict(raw.get("sample", {})),
            source=path,
        )
    except KeyError as exc:
        raise LabelError(f"{path.name}: needs a {exc.args[0]}") from exc
    to_dots(layout.width, layout.dpi, units)  # fail on load, not on the shop floor
    to_dots(layout.height, layout.dpi, units)
    return layout


@lru_cache(maxsize=32)
def _check_image(path: Path, _mtime: int) -> None:
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError) as exc:
        raise LabelError(f"{path.name} in labels/ is not an image a label can print") from exc


# --- placing a record ------------------------------------------------------------------

class _Fields(dict):
    def __init__(self, values: Mapping[str, Any], kind: str):
        super().__init__(values)
        self.kind = kind

    def __missing__(self, name: str) -> str:
        raise LabelError(f"the {self.kind} label needs a value for '{name}'")


def fill(text: str, values: _Fields) -> str:
    try:
        filled = string.Formatter().vformat(str(text), (), values)
    except (IndexError, ValueError) as exc:
        raise LabelError(f"the {values.kind} label has a bad placeholder in '{text}'") from exc
    return filled


def _clean(values: Mapping[str, Any]) -> dict[str, str]:
    # None prints as blank: a lot with no cert yet still gets its label.
    return {key: ("" if value is None else str(value)) for key, value in values.items()}


def place(layout: LabelLayout, values: Mapping[str, Any], dpi: int | None = None) -> PlacedLabel:
    """Resolves every element of `layout` for one record, in whole printer dots. A template
    edited wrong (a box without a width, a word where a length goes) is a LabelError naming
    the file, not a crash at the station."""
    try:
        return _place(layout, values, dpi)
    except KeyError as exc:
        raise LabelError(f"{layout.source.name}: an element is missing its '{exc.args[0]}'") from exc
    except (TypeError, ValueError) as exc:
        if isinstance(exc, LabelError):
            raise
        raise LabelError(f"{layout.source.name}: {exc}") from exc


def _place(layout: LabelLayout, values: Mapping[str, Any], dpi: int | None) -> PlacedLabel:
    dpi = int(dpi or layout.dpi)
    if dpi < 100 or dpi > 1200:
        raise LabelError(f"{dpi} dpi is not a printer resolution")
    fields = _Fields(_clean(values), layout.kind)
    units = layout.units

    def dots(key_value: Any) -> int:
        return int(round(to_dots(key_value, dpi, units)))

    label = PlacedLabel(
        kind=layout.kind,
        code=fill("{%s}" % layout.code_field, fields) if layout.code_field else "",
        width=dots(layout.width),
        height=dots(layout.height),
        dpi=dpi,
    )
    for element in layout.elements:
        kind = element["type"]
        x, y = dots(element.get("x", 0)), dots(element.get("y", 0))
        if kind == "text":
            text = fill(element.get("text", ""), fields)
            box = dots(element["width"]) if "width" in element else label.width - x
            height = dots(element.get("size", "10pt"))
            height = fonts.fit_height(text, height, box, bool(element.get("bold")))
            label.items.append(PlacedText(x, y, text, height, bool(element.get("bold")), box,
                                          element.get("align", "left")))
        elif kind == "barcode":
            data = fill(element.get("data", "{code}"), fields)
            label.items.extend(_place_barcode(layout, element, data, x, y, dots, label))
        elif kind in ("datamatrix", "qr"):
            data = fill(element.get("data", "{code}"), fields)
            matrix = code128.matrix_modules(data, kind)
            # Whole dots per module, the largest that fits the square it was given.
            module_dots = dots(element.get("size", "0.5in")) // len(matrix)
            if "max_module" in element:
                module_dots = min(module_dots, dots(element["max_module"]))
            if module_dots < 1:
                raise LabelError(f"the {layout.kind} label's {kind} is too small for '{data}'")
            label.items.append(PlacedMatrix(x, y, data, kind, matrix, module_dots))
        elif kind == "line":
            x2, y2 = dots(element.get("x2", element.get("x", 0))), dots(element.get("y2", element.get("y", 0)))
            thickness = max(1, dots(element.get("thickness", "1pt")))
            if x != x2 and y != y2:
                raise LabelError(f"{layout.source.name}: lines are horizontal or vertical only")
            label.items.append(PlacedBox(min(x, x2), min(y, y2), max(abs(x2 - x), thickness),
                                         max(abs(y2 - y), thickness), thickness))
        elif kind == "box":
            thickness = max(1, dots(element.get("thickness", "1pt")))
            label.items.append(PlacedBox(x, y, dots(element["width"]), dots(element["height"]),
                                         thickness))
        elif kind == "image":
            path = (layout.source.parent / element["file"]).resolve()
            if not path.is_relative_to(layout.source.parent.resolve()) or not path.is_file():
                raise LabelError(f"{layout.source.name}: image {element['file']} is missing from labels/")
            _check_image(path, path.stat().st_mtime_ns)
            label.items.append(PlacedImage(x, y, dots(element["width"]), dots(element["height"]), path))
    return label


def _place_barcode(layout, element, data, x, y, dots, label) -> list:
    """Widest whole-dot module that fits the box with its quiet zones: crisp bars, no rounding."""
    if not data:
        raise LabelError(f"the {layout.kind} label has an empty barcode")
    modules = code128.modules(data)
    box = dots(element["width"]) if "width" in element else label.width - x
    module_dots = box // (len(modules) + 2 * QUIET_ZONE_MODULES)
    if "max_module" in element:
        module_dots = min(module_dots, max(1, dots(element["max_module"])))
    if module_dots < 1:
        raise LabelError(f"'{data}' is too long for the barcode on the {layout.kind} label")
    bar_width = len(modules) * module_dots
    align = element.get("align", "center")
    if align == "left":
        left = x + QUIET_ZONE_MODULES * module_dots
    else:
        left = x + (box - bar_width) // 2
    height = dots(element.get("height", "0.5in"))
    placed = [PlacedBarcode(left, y, data, modules, module_dots, height)]
    if element.get("human_readable", True):
        size = dots(element.get("text_size", "9pt"))
        size = fonts.fit_height(data, size, box, False)
        placed.append(PlacedText(x, y + height + max(2, module_dots * 2), data, size, False, box, "center"))
    return placed
