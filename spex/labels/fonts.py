"""Fonts for label text: the system's DejaVu Sans when present (found by file name, never by a
machine path), else Pillow's built-in font; one cache so a batch of labels loads each size once."""
from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

_FACES = {False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
          True: ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")}
MIN_TEXT_DOTS = 8  # below this a thermal printer's text is a grey smear


@lru_cache(maxsize=256)
def font(height: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    for name in _FACES[bold]:
        try:
            return ImageFont.truetype(name, height)
        except OSError:
            continue
    return ImageFont.load_default(size=height)


@lru_cache(maxsize=8192)
def text_width(text: str, height: int, bold: bool = False) -> int:
    return int(font(height, bold).getlength(text))


def fit_height(text: str, height: int, width: int, bold: bool = False) -> int:
    """Largest font size up to `height` whose text still fits `width`: long part numbers shrink
    instead of running off the label."""
    height = max(MIN_TEXT_DOTS, height)
    while height > MIN_TEXT_DOTS and text_width(text, height, bold) > width:
        height -= max(1, height // 12)
    return height
