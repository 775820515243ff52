"""Barcode symbols as module patterns: Code 128 from python-barcode, DataMatrix/QR from zxing-cpp.
The renderers only ever draw these patterns, scaled by a whole number of printer dots."""
from __future__ import annotations

from functools import lru_cache

import barcode
import zxingcpp


class SymbolError(ValueError):
    """The data cannot be carried by the symbol (empty, not printable ASCII)."""


@lru_cache(maxsize=4096)
def modules(data: str) -> str:
    """Code 128 bars and spaces, one '1'/'0' per module, start to stop pattern inclusive."""
    if not data or any(ord(ch) < 32 or ord(ch) > 126 for ch in data):
        raise SymbolError(f"'{data}' cannot go in a Code 128 barcode (printable ASCII only)")
    return barcode.Code128(data).build()[0]


_MATRIX_FORMATS = {
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "qr": zxingcpp.BarcodeFormat.QRCode,
}


@lru_cache(maxsize=1024)
def matrix_modules(data: str, symbology: str) -> tuple[str, ...]:
    """Rows of a DataMatrix or QR symbol, '1' = dark module, without its quiet zone."""
    if not data:
        raise SymbolError("an empty code cannot be printed")
    symbol = zxingcpp.create_barcode(data, _MATRIX_FORMATS[symbology])
    image = symbol.to_image(scale=1, add_hrt=False, add_quiet_zones=False)
    view = memoryview(image)  # zxing-cpp images expose the buffer protocol: rows x columns bytes
    rows, columns = view.shape
    pixels = view.tobytes()
    return tuple("".join("1" if pixels[r * columns + c] < 128 else "0" for c in range(columns))
                 for r in range(rows))
