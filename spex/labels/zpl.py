"""ZPL II output for Zebra-type thermal printers: the same placed label as the PNG, but bars are
drawn by the printer itself from a native ^BC Code 128 field whose ^FD holds the exact code."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageOps

from .layouts import (PlacedBarcode, PlacedBox, PlacedImage, PlacedLabel, PlacedMatrix,
                      PlacedText)
from .png import logo_bits

_ALIGN = {"left": "L", "center": "C", "right": "R"}


def field_data(text: str) -> str:
    """^FD content; ^ and ~ would start ZPL commands, so such fields go hex-escaped under ^FH."""
    if not any(ch in text for ch in "^~_"):
        return f"^FD{text}^FS"
    escaped = "".join(f"_{ord(ch):02X}" if ch in "^~_" else ch for ch in text)
    return f"^FH_^FD{escaped}^FS"


def render_zpl(label: PlacedLabel, copies: int = 1) -> str:
    lines = ["^XA", "^CI28", f"^PW{label.width}", f"^LL{label.height}", "^LH0,0"]
    for item in label.items:
        if isinstance(item, PlacedBarcode):
            # ^BY module width, ratio (ignored by Code 128), height; ^BC mode A lets the
            # printer pick code subsets, and no interpretation line: ours is a text field.
            lines.append(f"^FO{item.x},{item.y}^BY{item.module_dots},3,{item.height}"
                         f"^BCN,{item.height},N,N,N,A{field_data(item.data)}")
        elif isinstance(item, PlacedText):
            if item.text:
                lines.append(f"^FO{item.x},{item.y}^A0N,{item.height},{item.height}"
                             f"^FB{item.width},1,0,{_ALIGN.get(item.align, 'L')}"
                             f"{field_data(item.text)}")
        elif isinstance(item, PlacedMatrix):
            if item.symbology == "datamatrix":
                lines.append(f"^FO{item.x},{item.y}^BXN,{item.module_dots},200"
                             f"{field_data(item.data)}")
            else:
                magnification = max(1, min(10, item.module_dots))
                lines.append(f"^FO{item.x},{item.y}^BQN,2,{magnification}"
                             f"{field_data('QA,' + item.data)}")
        elif isinstance(item, PlacedBox):
            lines.append(f"^FO{item.x},{item.y}^GB{item.width},{item.height},"
                         f"{min(item.thickness, item.width, item.height)}^FS")
        elif isinstance(item, PlacedImage):
            graphic = _graphic_field(item.path, item.path.stat().st_mtime_ns, item.width, item.height)
            lines.append(f"^FO{item.x},{item.y}{graphic}^FS")
    lines.append(f"^PQ{max(1, int(copies))}")
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=32)
def _graphic_field(path: Path, _mtime: int, width: int, height: int) -> str:
    """The logo as a ^GFA hex bitmap (1 = burn a dot), exactly as the PNG shows it."""
    bits = ImageOps.invert(logo_bits(path, width, height).convert("L")).convert("1")
    data = bits.tobytes()
    row_bytes = (width + 7) // 8
    return f"^GFA,{len(data)},{len(data)},{row_bytes},{data.hex().upper()}"
