"""The station's command card: every command, reason, disposition and quantity an operator scans
instead of touching a mouse, and the Code 128 symbols the server draws for it (SVG)."""
from __future__ import annotations

from functools import lru_cache

from spex import codes
from spex.labels.code128 import SymbolError, modules
from spex.scan.grammar import DISPOSITION_PREFIX, REASON_PREFIX

# (heading, [(code, what it does)]) in the order the card prints them.
CARD = (
    ("Commands", [
        (codes.CMD_DONE, "Done with this job (receive: close short)"),
        (codes.CMD_CANCEL, "Cancel: clear job and command"),
        (codes.CMD_UNDO, "Undo my last entry"),
        (codes.CMD_SIGN_OUT, "Sign out"),
        (codes.CMD_SCRAP, "Report scrap"),
        (codes.CMD_HOLD, "Quality hold"),
        (codes.CMD_RELEASE, "Release hold (inspector)"),
        (codes.CMD_RETURN, "Return a remnant"),
        (codes.CMD_SHIP_OUT, "Ship out to vendor"),
        (codes.CMD_RECEIVE, "Receive back from vendor"),
        (codes.CMD_FG, "Put away finished goods"),
        (codes.CMD_SHIP, "Ship finished goods"),
        (codes.CMD_MOVE, "Move stock to a bin (or a bin first: put-away)"),
        (codes.CMD_COUNT, "Count a bin: the bin, then every unit in it, CMD-DONE"),
    ]),
    ("Dispositions (inspector)", [
        (DISPOSITION_PREFIX + "USE-AS-IS", "Use as is"),
        (DISPOSITION_PREFIX + "REWORK", "Rework"),
        (codes.CMD_SCRAP, "Scrap"),
        (DISPOSITION_PREFIX + "RTV", "Return to vendor"),
    ]),
    ("Scrap reasons", [(REASON_PREFIX + code, name) for code, name in codes.SCRAP_REASONS.items()]),
    ("Hold reasons", [(REASON_PREFIX + code, name) for code, name in codes.HOLD_REASONS.items()
                      if code not in codes.SCRAP_REASONS]),
    ("Quantities", [(str(n), f"{n}") for n in (*range(10), 10, 25, 50, 100)]),
)

_ON_CARD = frozenset(code for _, entries in CARD for code, _ in entries)

MODULE_PX = 2
BAR_HEIGHT_PX = 60
QUIET_MODULES = 10


def on_card(code: str) -> bool:
    return code in _ON_CARD


@lru_cache(maxsize=256)
def code128_svg(code: str) -> str:
    """A crisp, scalable Code 128 symbol: one rectangle per bar, with quiet zones both sides."""
    try:
        pattern = modules(code)
    except SymbolError:
        raise ValueError(f"{code!r} cannot be a Code 128 symbol") from None
    width = (len(pattern) + 2 * QUIET_MODULES) * MODULE_PX
    rects = []
    start = None
    for index, module in enumerate(pattern + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            x = (QUIET_MODULES + start) * MODULE_PX
            rects.append(f'<rect x="{x}" y="0" width="{(index - start) * MODULE_PX}" height="{BAR_HEIGHT_PX}"/>')
            start = None
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{BAR_HEIGHT_PX}" '
            f'viewBox="0 0 {width} {BAR_HEIGHT_PX}" shape-rendering="crispEdges">'
            f'<rect width="{width}" height="{BAR_HEIGHT_PX}" fill="#fff"/><g fill="#000">{"".join(rects)}</g></svg>')
