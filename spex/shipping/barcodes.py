"""A code as a Code 128 barcode on a page (inline SVG), so a shipper can scan a release or an order
line off the screen or a printout of the page with the bench's scanner."""
from __future__ import annotations

from markupsafe import Markup, escape

from spex.labels.code128 import modules
from spex.shipping import bp

MODULE_PX = 2
HEIGHT_PX = 44
QUIET_MODULES = 10


@bp.app_template_filter("code128_svg")
def code128_svg(code: str) -> Markup:
    pattern = modules(code)
    width = (len(pattern) + 2 * QUIET_MODULES) * MODULE_PX
    bars, run = [], 0
    for i, module in enumerate(pattern + "0"):
        if module == "1":
            run += 1
            continue
        if run:
            start = (QUIET_MODULES + i - run) * MODULE_PX
            bars.append(f'<rect x="{start}" y="0" width="{run * MODULE_PX}" height="{HEIGHT_PX}"/>')
            run = 0
    return Markup(f'<svg class="barcode" role="img" aria-label="{escape(code)}" width="{width}" '
                  f'height="{HEIGHT_PX}" viewBox="0 0 {width} {HEIGHT_PX}" shape-rendering="crispEdges">'
                  f'<rect width="{width}" height="{HEIGHT_PX}" fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>')
