"""Reading our own labels back the way a scanner would: zxing-cpp on the rendered pixels."""
from __future__ import annotations

import io
import re

import pypdfium2
import zxingcpp
from PIL import Image

ZPL_CODE128 = re.compile(r"\^BC[^\^]*\^FD(.*?)\^FS")


def decode_image(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image.convert("L"))
    return sorted(result.text for result in found if result.valid)


def decode_png(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return decode_image(Image.open(io.BytesIO(data)))


def decode_pdf(data: bytes, dpi: int = 300) -> list[list[str]]:
    """Every page rasterised as a laser printer would, then decoded; one list per page."""
    assert data[:5] == b"%PDF-", "not a PDF"
    document = pypdfium2.PdfDocument(data)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72)
            pages.append(decode_image(bitmap.to_pil()))
            bitmap.close()
            page.close()
        return pages
    finally:
        document.close()


def zpl_code128_data(zpl: str) -> list[str]:
    return sorted(ZPL_CODE128.findall(zpl))
