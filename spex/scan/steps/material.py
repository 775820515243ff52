"""Material steps at the station: pulling bar stock for a job, and returning a remnant to a bin."""
from __future__ import annotations

from typing import TYPE_CHECKING

from spex import ledger, shopfloor
from spex.models import qty
from spex.scan import grammar
from spex.planning.cutplan import planned_instead
from spex.scan.answers import DONE, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import length_of, step

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from spex.models import Station, StockUnit
    from spex.scan.flows import _Flow

PULL_JOB = "pull:job"


@step(PULL_JOB, "Material pull", "Scan the job (JOB-…) the bar is for.")
def pull_job(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind == grammar.OPERATION:
        op = flow.find_operation(scan)
        job = op.job if op else flow.find_job(f"{scan.value}-{scan.op_seq}", scan.code)
    elif scan.kind == grammar.JOB:
        job = flow.find_job(scan.value, scan.code)
    else:
        return None
    flow.state.job_id, flow.state.job_operation_id = job.id, None
    flow.expect(PULL_QTY)
    unit = flow.unit
    answer = flow.waiting(f"Pull {unit.barcode} for job {job.number}",
                          f"Part {job.part.label}: {job.part.bar_length_per_piece.normalize():f} "
                          f"{unit.lot.material.unit} of bar per piece.")
    _suggest_planned(flow, job, unit, answer)
    return answer


def _suggest_planned(flow: _Flow, job, unit, answer: Answer) -> None:
    """A bar other than the cut plan's: say which unit was planned; the pull still goes through."""
    planned = planned_instead(flow.session, job, unit)
    if planned:
        answer.warnings.append(f"{planned}; {unit.barcode} is not in the plan. Scan CMD-CANCEL and "
                               "pull the planned one, or go on with this bar.")


PULL_QTY = "pull:qty"


@step(PULL_QTY, "Material pull", "Scan or type the length to pull.")
def pull_qty(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.QUANTITY:
        return None
    amount = length_of(scan)
    unit, job = flow.unit, flow.job
    pulled = shopfloor.pull_material(flow.session, unit, job, amount, scan_uid=flow.scan_uid, **flow.who())
    flow.state.stock_unit_id = None
    flow.expect(None)
    left = pulled.left
    material_unit = unit.lot.material.unit
    planned = planned_instead(flow.session, job, unit)
    answer = Answer(DONE, f"Pulled {ledger.format_qty(amount)} {material_unit} of {unit.barcode} for job {job.number}",
                    f"Heat {unit.lot.heat_number} recorded against job {job.number}; "
                    f"{ledger.format_qty(left)} {material_unit} left on the bar.",
                    next_step=flow.next_step())
    if planned:
        answer.warnings.append(f"Pulled outside the cut plan: {planned}.")
    return answer


RETURN_LOT = "return:lot"


@step(RETURN_LOT, "Remnant return", "Scan the bar (LOT-…) the remnant was cut from.")
def return_lot(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.LOT:
        return None
    unit = flow.find_unit(scan)
    flow.state.stock_unit_id = unit.id
    flow.expect(RETURN_LENGTH)
    return flow.waiting(f"Remnant of {unit.barcode}", f"Heat {unit.lot.heat_number}, {unit.lot.material.label}.")


RETURN_LENGTH = "return:length"


@step(RETURN_LENGTH, "Remnant return", "Scan or type the remnant's length.")
def return_length(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.QUANTITY:
        return None
    amount = length_of(scan)
    short = shopfloor.too_short_for_remnant(flow.unit, amount)
    if short:
        raise Refused(short, "Nothing was written. Scan CMD-CANCEL, or type the length again if it was mistyped.")
    flow.expect(RETURN_BIN, length=amount)
    return flow.waiting(f"Remnant of {flow.unit.barcode}: {ledger.format_qty(amount)} {flow.unit.lot.material.unit}")


RETURN_BIN = "return:bin"


@step(RETURN_BIN, "Remnant return", "Scan the bin (BIN-…) the remnant goes to.")
def return_bin(flow: _Flow, scan: Scan) -> Answer | None:
    if scan.kind != grammar.BIN:
        return None
    bin = flow.find_bin(scan)
    unit, length = flow.unit, qty(flow.data["length"])
    remnant = shopfloor.return_remnant(flow.session, unit, length, bin, scan_uid=flow.scan_uid, **flow.who())
    answer = Answer(DONE, f"Remnant {remnant.barcode}: {ledger.format_qty(length)} {unit.lot.material.unit} into {bin.barcode}",
                    f"Cut from {unit.barcode}, heat {unit.lot.heat_number}. Its label is queued at the printer.")
    warning = queue_remnant_label(flow.session, remnant, flow.station)
    if warning:
        answer.detail = f"Cut from {unit.barcode}, heat {unit.lot.heat_number}."
        answer.warnings.append(warning)
    flow.state.stock_unit_id = None
    flow.expect(None)
    answer.next_step = flow.next_step()
    return answer


def queue_remnant_label(session: Session, remnant: StockUnit, station: Station) -> str | None:
    """Queue the remnant's label; a label problem must not lose the remnant, so it is only a warning."""
    from spex.labels import LabelError, queue_label

    savepoint = session.begin_nested()
    try:
        queue_label(session, "remnant", remnant.barcode, station_id=station.id)
    except (LabelError, LookupError, ValueError) as exc:
        savepoint.rollback()
        return f"The remnant label could not be queued ({exc}); print it from the label station."
    savepoint.commit()
    return None
