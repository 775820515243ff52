"""Scans that begin something at the station: a bar, a job or one of its operations, an FG lot, a
good quantity at the operation in context, or a command that starts one of the steps."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select

from spex import codes, ledger, shopfloor
from spex.models import Job, JobOperation, Location
from spex.scan import grammar
from spex.scan.answers import DONE, WAITING, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.steps import pieces_of
from spex.scan.steps.bench import start_bench
from spex.scan.steps.goods import FG_QTY, SHIP_FG, SHIP_QTY
from spex.scan.steps.holds import HOLD_QTY, RELEASE_DISPOSITION
from spex.scan.steps.material import PULL_JOB, RETURN_LOT
from spex.scan.steps.count import start_count
from spex.scan.steps.move import start_move
from spex.scan.steps.operations import SCRAP_QTY
from spex.scan.steps.outside import RECEIVE_QTY, SHIP_OUT_QTY
from spex.scan.view import expected_next

if TYPE_CHECKING:
    from spex.scan.flows import _Flow

UNKNOWN_HINT = "Scan a label (EMP-, JOB-, LOT-, BIN-, FG-, REL-, LINE-, CMD-) or type a quantity and press Enter."


def start(flow: _Flow, scan: Scan) -> Answer:
    kind = scan.kind
    if kind == grammar.LOT:
        return start_pull(flow, scan)
    if kind == grammar.OPERATION:
        op = flow.find_operation(scan)
        if op is not None:
            return take_operation(flow, op)
        return take_job(flow, flow.find_job(f"{scan.value}-{scan.op_seq}", scan.code))
    if kind == grammar.JOB:
        return take_job(flow, flow.find_job(scan.value, scan.code))
    if kind == grammar.FG:
        flow.may("ship")
        lot = flow.find_fg(scan)
        return flow.take_fg(lot)
    if kind in (grammar.RELEASE, grammar.ORDER_LINE):
        return start_bench(flow, scan)
    if kind == grammar.QUANTITY:
        return quantity_at_operation(flow, scan)
    if kind == grammar.COMMAND:
        return command(flow, scan)
    if kind == grammar.BIN:
        raise Refused(f"{scan.code} on its own does nothing.",
                      "To put finished pieces away scan CMD-FG first; to return a remnant, CMD-RETURN; "
                      "to count the bin, CMD-COUNT.")
    if kind == grammar.VENDOR:
        raise Refused(f"{scan.code}: the vendor comes from the job's routing.",
                      "Scan the outside operation (JOB-…-op), then CMD-SHIP-OUT or CMD-RECEIVE.")
    if kind == grammar.PURCHASE_ORDER:
        raise Refused(f"{scan.code} is a purchase order: it is received at the dock.",
                      "Open Receive in the office or at the dock and scan the PO there.")
    raise out_of_place(scan, expected_next(flow.session, flow.state, flow.data))


def command(flow: _Flow, scan: Scan) -> Answer:
    code = scan.code
    if code == codes.CMD_DONE:
        job = flow.job
        flow.clear()
        return Answer(WAITING, f"Finished with job {job.number}" if job else "Ready",
                      next_step=expected_next(flow.session, flow.state, flow.data))
    if code == codes.CMD_RETURN:
        flow.may("remnant")
        flow.state.stock_unit_id = None
        flow.expect(RETURN_LOT)
        return flow.waiting("Remnant return")
    if code == codes.CMD_MOVE:
        return start_move(flow)
    if code == codes.CMD_COUNT:
        return start_count(flow)
    if code == codes.CMD_SHIP:
        flow.may("ship")
        fg = flow.fg_lot
        flow.expect(SHIP_QTY if fg else SHIP_FG)
        return flow.waiting("Ship finished goods")
    if code == codes.CMD_FG:
        flow.may("fg_receipt")
        job = flow.need_job("put finished pieces away")
        waiting = int(ledger.balance(flow.session, ledger.job_item(job.id), ledger.finished(job.id)))
        if waiting == 0:
            raise Refused(f"No finished pieces of job {job.number} are waiting.",
                          "Complete its last operation first.")
        flow.expect(FG_QTY)
        return flow.waiting(f"To finished goods: job {job.number}", f"{waiting} finished pcs waiting.")
    if code == codes.CMD_RELEASE:
        flow.may("release_hold")
        job = flow.need_job("release a hold")
        hold = flow.open_hold(job)
        flow.expect(RELEASE_DISPOSITION, hold=hold.id)
        reason = codes.HOLD_REASONS.get(hold.reason_code, hold.reason_code)
        return flow.waiting(f"Release hold: {hold.quantity} pcs of job {job.number} at op {hold.operation.seq}",
                            f"Held for: {reason}.")
    if code == codes.CMD_HOLD:
        flow.may("hold")
        op = flow.hold_operation()
        flow.state.job_operation_id = op.id
        flow.expect(HOLD_QTY)
        return flow.waiting(f"Quality hold at op {op.seq} of job {op.job.number}",
                            f"{shopfloor.available_at(flow.session, op)} pcs at this operation.")
    if code == codes.CMD_SCRAP:
        flow.may("scrap")
        op = flow.need_operation("report scrap")
        flow.expect(SCRAP_QTY)
        return flow.waiting(f"Scrap at op {op.seq} of job {op.job.number}")
    if code in (codes.CMD_SHIP_OUT, codes.CMD_RECEIVE):
        action = "ship_out" if code == codes.CMD_SHIP_OUT else "receive_back"
        flow.may(action)
        op = flow.need_operation("ship out" if action == "ship_out" else "receive back")
        if not op.is_outside:
            where = op.work_center.name if op.work_center else "in house"
            raise Refused(f"Op {op.seq} of job {op.job.number} ({op.description}) is done in house at {where}.",
                          "Scan the outside operation of the job (JOB-…-op), or the good quantity here.")
        vendor = op.vendor.name if op.vendor else "the vendor"
        if action == "ship_out":
            flow.expect(SHIP_OUT_QTY)
            back = flow.expected_back(op)
            return flow.waiting(f"Ship out op {op.seq} of job {op.job.number} to {vendor}",
                                f"{shopfloor.available_at(flow.session, op)} pcs ready to go; expected back "
                                f"{back:%a %d %b} (change it beside the scan field if the vendor said otherwise).")
        out = shopfloor.at_vendor(flow.session, op)
        if out == 0:
            raise Refused(f"Nothing of job {op.job.number} op {op.seq} is out at {vendor}.",
                          "Ship it out first (CMD-SHIP-OUT), or scan another job.")
        flow.expect(RECEIVE_QTY)
        return flow.waiting(f"Receive op {op.seq} of job {op.job.number} back from {vendor}",
                            f"{out} pcs are at the vendor. Scan CMD-DONE first to close the shipment short.")
    raise Refused(f"{code} does not fit here.", expected_next(flow.session, flow.state, flow.data))


_LOCATION_CODE = select(Location.code).where(Location.id == bindparam("id"))  # a bar's bin, to name it


def start_pull(flow: _Flow, scan: Scan) -> Answer:
    flow.may("pull")
    unit = flow.find_unit(scan)
    place, left = ledger.location_of(flow.session, ledger.unit_item(unit.id))
    if place is None:
        raise Refused(f"{unit.barcode} is empty or used up.", "Scan another bar (LOT-…).")
    flow.clear()
    flow.state.stock_unit_id = unit.id
    flow.expect(PULL_JOB)
    bin = Location.barcode_of(flow.session.scalar(_LOCATION_CODE, {"id": ledger.parse_key(place).id}))
    return flow.waiting(f"Bar {unit.barcode}: {ledger.format_qty(left)} {unit.lot.material.unit} left",
                        f"{unit.lot.material.label}, heat {unit.lot.heat_number}, in {bin}.")


def take_operation(flow: _Flow, op: JobOperation) -> Answer:
    job = op.job
    flow.state.job_id, flow.state.job_operation_id = job.id, op.id
    flow.state.stock_unit_id = flow.state.fg_lot_id = None
    flow.expect(None)
    if op.is_outside:
        vendor = op.vendor.name if op.vendor else "a vendor"
        return flow.waiting(f"Job {job.number} op {op.seq}: {op.description} at {vendor}",
                            f"{shopfloor.available_at(flow.session, op)} pcs ready to ship, "
                            f"{shopfloor.at_vendor(flow.session, op)} at the vendor.")
    if flow.operator.has_role(*codes.ACTION_ROLES["complete"]):
        shopfloor.start_operation(flow.session, op, **flow.who())
    available = shopfloor.available_at(flow.session, op)
    answer = flow.waiting(f"Job {job.number} op {op.seq}: {op.description}",
                          f"Part {job.part.label}. {available} pcs here; {op.qty_good} of {job.quantity} done.")
    answer.available = available
    held = shopfloor.held_words(flow.session, op)
    if held:
        # Only the held pieces wait for the inspector; the others here are free to work.
        answer.warnings.append(f"{held} on quality hold at op {op.seq}: they wait for an inspector's "
                               f"disposition; the {available} pcs here may be worked.")
    return answer


def take_job(flow: _Flow, job: Job) -> Answer:
    flow.state.job_id, flow.state.job_operation_id = job.id, None
    flow.state.stock_unit_id = flow.state.fg_lot_id = None
    flow.expect(None)
    finished = int(ledger.balance(flow.session, ledger.job_item(job.id), ledger.finished(job.id)))
    detail = f"Part {job.part.label}, {job.quantity} pcs, {job.status}."
    if finished:
        detail += f" {finished} finished pcs waiting for CMD-FG."
    return flow.waiting(f"Job {job.number}", detail)


def quantity_at_operation(flow: _Flow, scan: Scan) -> Answer:
    op = flow.op
    if op is None:
        if flow.job is not None:
            raise Refused(f"{scan.code}: which operation of job {flow.job.number}?",
                          "Scan the operation line of the traveler (JOB-…-op) first.")
        raise Refused(f"A quantity ({scan.code}) on its own records nothing.",
                      "Scan a job operation (JOB-…-op) or a bar (LOT-…) first.")
    if op.is_outside:
        vendor = op.vendor.name if op.vendor else "a vendor"
        raise Refused(f"Op {op.seq} of job {op.job.number} is an outside process at {vendor}.",
                      "Scan CMD-SHIP-OUT or CMD-RECEIVE before the quantity.")
    pieces = pieces_of(scan)
    done = shopfloor.complete_operation(flow.session, op, pieces, scan_uid=flow.scan_uid, **flow.who())
    job = op.job
    onward = f"on to op {done.following.seq}" if done.following else "finished: put them away with CMD-FG"
    return Answer(DONE, f"{pieces} good at op {op.seq} of job {job.number}",
                  f"{op.qty_good} of {job.quantity} done at op {op.seq}, {done.left_here} still here; "
                  f"pieces go {onward}.",
                  next_step=expected_next(flow.session, flow.state, flow.data), available=done.left_here)


def out_of_place(scan: Scan, next_step: str) -> Refused:
    """The refusal for a scan the station does not wait for: a word that names no reason or
    disposition is a code Spex does not know, whatever the station waits for."""
    if scan.kind == grammar.WORD and not grammar.is_known_word(scan.value):
        return Refused(f"{scan.code} is not a code Spex knows.", UNKNOWN_HINT)
    return Refused(f"{describe_scan(scan)} does not fit here.", next_step)


def describe_scan(scan: Scan) -> str:
    names = {grammar.QUANTITY: "A quantity", grammar.BIN: "A bin", grammar.LOT: "A bar", grammar.JOB: "A job",
             grammar.OPERATION: "A job operation", grammar.FG: "An FG lot",
             grammar.RELEASE: "A release", grammar.ORDER_LINE: "An order line", grammar.VENDOR: "A vendor code",
             grammar.PURCHASE_ORDER: "A purchase order",
             grammar.REASON: "A reason code", grammar.DISPOSITION: "A disposition", grammar.COMMAND: scan.code}
    name = names.get(scan.kind)
    return f"{name} ({scan.code})" if name and name != scan.code else (name or scan.code)
