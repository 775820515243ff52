"""PNG output: draws a placed label dot for dot, as a thermal printer at that resolution would,
1 bit per dot, bars on whole dots so every edge is crisp."""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from . import fonts
from .layouts import (PlacedBarcode, PlacedBox, PlacedImage, PlacedLabel, PlacedMatrix,
                      PlacedText)

BLACK, WHITE = 0, 1


def render_image(label: PlacedLabel) -> Image.Image:
    image = Image.new("1", (label.width, label.height), WHITE)
    draw = ImageDraw.Draw(image)
    for item in label.items:
        if isinstance(item, PlacedBarcode):
            _draw_bars(draw, item)
        elif isinstance(item, PlacedText):
            _draw_text(draw, item)
        elif isinstance(item, PlacedMatrix):
            _draw_matrix(draw, item)
        elif isinstance(item, PlacedBox):
            _draw_box(draw, item)
        elif isinstance(item, PlacedImage):
            image.paste(logo_bits(item.path, item.width, item.height), (item.x, item.y))
    return image


def render_png(label: PlacedLabel) -> bytes:
    buffer = io.BytesIO()
    image = render_image(label)
    image.save(buffer, format="PNG", dpi=(label.dpi, label.dpi))
    return buffer.getvalue()


def bar_runs(modules: str):
    """(first module, run length) of every bar: one rectangle per bar, not per module."""
    start = None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            yield start, index - start
            start = None


def _draw_bars(draw: ImageDraw.ImageDraw, bar: PlacedBarcode) -> None:
    step = bar.module_dots
    for start, run in bar_runs(bar.modules):
        left = bar.x + start * step
        draw.rectangle((left, bar.y, left + run * step - 1, bar.y + bar.height - 1), fill=BLACK)


def _draw_matrix(draw: ImageDraw.ImageDraw, matrix: PlacedMatrix) -> None:
    step = matrix.module_dots
    for row_number, row in enumerate(matrix.matrix):
        top = matrix.y + row_number * step
        for start, run in bar_runs(row):
            left = matrix.x + start * step
            draw.rectangle((left, top, left + run * step - 1, top + step - 1), fill=BLACK)


def _draw_text(draw: ImageDraw.ImageDraw, text: PlacedText) -> None:
    if not text.text:
        return
    face = fonts.font(text.height, text.bold)
    width = fonts.text_width(text.text, text.height, text.bold)
    x = text.x
    if text.align == "center":
        x += (text.width - width) // 2
    elif text.align == "right":
        x += text.width - width
    draw.text((x, text.y), text.text, font=face, fill=BLACK, anchor="la")


def _draw_box(draw: ImageDraw.ImageDraw, box: PlacedBox) -> None:
    right, bottom = box.x + box.width - 1, box.y + box.height - 1
    if box.thickness * 2 >= min(box.width, box.height):
        draw.rectangle((box.x, box.y, right, bottom), fill=BLACK)
    else:
        draw.rectangle((box.x, box.y, right, bottom), outline=BLACK, width=box.thickness)


@lru_cache(maxsize=32)
def _logo(path: Path, _mtime: int, width: int, height: int) -> Image.Image:
    """The shop logo scaled into its box (aspect kept, centred) and dithered to printer dots."""
    with Image.open(path) as source:
        source = source.convert("RGBA")
        background = Image.new("RGBA", source.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, source).convert("L")
    scale = min(width / flat.width, height / flat.height)
    size = (max(1, int(flat.width * scale)), max(1, int(flat.height * scale)))
    scaled = flat.resize(size, Image.Resampling.LANCZOS)
    box = Image.new("L", (width, height), 255)
    box.paste(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
    return box.convert("1")


def logo_bits(path: Path, width: int, height: int) -> Image.Image:
    """The logo in printer dots; cached per file version, so a new logo shows without a restart."""
    return _logo(path, path.stat().st_mtime_ns, width, height)
