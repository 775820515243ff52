"""The pending steps of the station's flows: each declared once, with its name, its prompt and its handler.

A station that waits for a further scan keeps the step's key ("hold:qty", ...) in its state; the
keys are stored in existing databases, so they never change. A handler gets the flow and the scan
and answers, or returns None when the scan is not one this step takes (the flow then decides
whether the scan starts something new). The modules of this package are the flows' rooms:
material, operations, holds, outside work, finished goods, the shipping bench, stock moves, counts and signing in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from spex import shopfloor, shoptime
from spex.scan import grammar
from spex.scan.answers import Answer, Refused
from spex.scan.grammar import Scan

if TYPE_CHECKING:
    from spex.scan.flows import _Flow


@dataclass(frozen=True)
class Step:
    """One step a station can wait in: its stored key, the flow's name, what to scan, and its handler."""
    key: str
    name: str
    prompt: str
    handle: Callable[[_Flow, Scan], Answer | None]


STEPS: dict[str, Step] = {}


def step(key: str, name: str, prompt: str):
    """Declare the function below as the handler of the pending step `key`."""
    def declare(handle: Callable[[_Flow, Scan], Answer | None]):
        if key in STEPS:
            raise ValueError(f"The pending step {key} is declared twice.")
        STEPS[key] = Step(key, name, prompt, handle)
        return handle
    return declare


# --- what a scan says, read for a step --------------------------------------------------------
def pieces_of(scan: Scan) -> int:
    """The pieces a scanned quantity counts (the shop floor's one check of a count)."""
    return shopfloor.piece_count(scan.quantity)


def length_of(scan: Scan) -> Decimal:
    """The length a scanned quantity measures: the shop floor's check, and lengths are scanned to
    the thousandth (what the ledger keeps)."""
    value = shopfloor.amount_of(scan.quantity)
    if value != scan.quantity:
        raise Refused(f"{scan.code}: lengths are measured to the thousandth.", "Scan or type the length again.")
    return value


def reasons_hint(reasons: dict[str, str]) -> str:
    return ", ".join(f"CMD-R-{code} ({name})" for code, name in reasons.items())


def reason_scanned(scan: Scan, reasons: dict[str, str], what: str) -> str | None:
    """The reason a scanned card names; None for a scan that is no reason card at all (the flow
    decides whether it starts something), a refusal for a card that is not one of these reasons."""
    reason = grammar.reason_of(scan, reasons)
    if reason is None and scan.kind in (grammar.REASON, grammar.WORD):
        raise Refused(f"{scan.code} is not a {what} reason.", reasons_hint(reasons))
    return reason


def stored_moment(text: str | None) -> datetime | None:
    """A moment kept in the station's data (ISO text, UTC)."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def on_the_clock(moment: datetime) -> str:
    return f"{shoptime.local(moment):%H:%M}"


def pieces_then_reason(flow: _Flow, scan: Scan, reason_step: str, verb: str) -> Answer | None:
    """A count of pieces at the current operation (no more than are there), then wait for the reason."""
    if scan.kind != grammar.QUANTITY:
        return None
    pieces = pieces_of(scan)
    op = flow.op
    available = shopfloor.available_at(flow.session, op)
    if pieces > available:
        raise Refused(f"Only {available} pcs are at op {op.seq}; {pieces} scanned.",
                      "Count again and scan the quantity.")
    flow.expect(reason_step, quantity=pieces)
    return flow.waiting(f"{verb} {pieces} pcs at op {op.seq} of job {op.job.number}")


# The rooms declare their steps when imported; last, since they use what is above.
from spex.scan.steps import bench, count, goods, holds, material, move, operations, outside, sign_in  # noqa: E402,F401
