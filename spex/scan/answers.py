"""What a scan gets back at the station: its outcome, its words, the next step; and a refusal."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spex.models import FinishedGoodsLot, Job, JobOperation, StockUnit, User
    from spex.scan.state import Person, State, StationRef

# Outcomes, and the colour/sound each gets on the station.
DONE = "done"          # green: something was recorded
WAITING = "waiting"    # amber: context taken, waiting for the next scan
REFUSED = "refused"    # red: nothing written; says why and what to do
SIGNED_OUT = "signed_out"  # slate: the operator signed out (not the green of a recorded movement)


@dataclass(frozen=True)
class Context:
    """The records a station has in context after a scan, as the scan loaded them."""
    job: Job | None
    operation: JobOperation | None
    unit: StockUnit | None
    fg_lot: FinishedGoodsLot | None


@dataclass
class Answer:
    """What the station shows after a scan: one line in large type, the detail, and what to do next."""
    outcome: str
    headline: str
    detail: str = ""
    next_step: str = ""
    warnings: list[str] = field(default_factory=list)
    operator_id: int | None = None  # who was signed in when the scan was answered
    context: Context | None = field(default=None, repr=False)  # what the scan left in context, for its panels
    available: int | None = None  # pieces at the operation in context, when the scan already counted them
    state: State | None = field(default=None, repr=False)  # the station's state as the scan left it
    station: StationRef | None = field(default=None, repr=False)  # the station that scanned
    operator: Person | User | None = field(default=None, repr=False)  # who is signed in after the scan
    secret: bool = False  # the scan was (perhaps) a PIN: what was typed is neither shown nor kept

    @property
    def status(self) -> int:
        return 422 if self.outcome == REFUSED else 200


class Refused(Exception):
    """A scan the station turns down before asking the shop floor: why, and what to do."""

    def __init__(self, message: str, next_step: str = ""):
        super().__init__(message)
        self.message = message
        self.next_step = next_step
