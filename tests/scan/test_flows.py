"""The station's state machine itself, without HTTP: each pending step of STEPS driven with a real
database session through flows.interpret, once with a scan it takes and once with one it refuses.
Each case says what the answer's headline and outcome are and which step the station waits in next;
a refusal leaves the station in the step it was in and writes nothing."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

import pytest

from spex import codes, ledger, shopfloor
from spex.scan import flows
from spex.scan.answers import DONE, REFUSED, WAITING
from spex.scan.steps import STEPS
from spex.scan.steps.count import COUNT_BIN, COUNT_QTY, COUNT_UNIT
from spex.scan.steps.bench import BENCH_LOT, BENCH_QTY
from spex.scan.steps.move import MOVE_TO, MOVE_WHAT, PUT_AWAY
from tests.conftest import TEST_PIN
from tests.scan.conftest import balances, entries, order_with_releases


class Desk:
    """One station, scanned at through the state machine's entry point as the route calls it: the
    writer's transaction begun, one scan interpreted, committed."""

    def __init__(self, session, station):
        self.session = session
        self.station = station

    def __call__(self, *raws: str):
        for raw in raws:
            ledger.begin_write(self.session)
            answer = flows.interpret(self.session, self.station.token, raw, uuid.uuid4().hex, undo_window=300)
            self.session.commit()
        return answer


@pytest.fixture
def desk(session, make):
    station = make.station()
    make.commit()
    return Desk(session, station)


@dataclass
class Case:
    step: str
    setup: Callable  # (desk, shop, session, make) -> None: brings the station to `step`
    good: str | Callable  # a scan, or a function of the shop giving it
    outcome: str
    headline: str  # the answer's headline begins with this (after {job}, {bar}... are filled in)
    next_step: str | None
    bad: str | Callable
    refusal: str  # the refusal's headline holds this


def _code(value, shop):
    return value(shop) if callable(value) else value


def _words(text, shop):
    return text.format(job=shop.job.number, bar=shop.lot.units[0].barcode, fg=getattr(shop, "fg", None)
                       and shop.fg.barcode, other=getattr(shop, "other", None) and shop.other.number)


# --- bringing a station to each step ------------------------------------------------------------

def signed_in(desk, shop, *scans, who="operator"):
    desk(getattr(shop, who).barcode)
    if who == "inspector":
        desk(TEST_PIN)
    return desk(*scans) if scans else None


def finished_job(shop, session, make, pieces=10):
    """A second job of 20 pcs, one operation, with `pieces` finished and waiting for CMD-FG."""
    shop.other = make.job(make.part(ops=("lathe",)), quantity=20)
    shopfloor.complete_operation(session, shop.other.operations[0], pieces, user=shop.operator)
    session.commit()
    return shop.other


def fg_lot(shop, session, make, release=30):
    job = finished_job(shop, session, make)
    shop.fg = shopfloor.receive_finished_goods(session, job, 10, shop.fg_bin, user=shop.operator)
    shop.line = order_with_releases(session, make, job, quantities=(release,))
    return shop.fg


def at_pull_job(desk, shop, session, make):
    signed_in(desk, shop, shop.lot.units[0].barcode)


def at_pull_qty(desk, shop, session, make):
    signed_in(desk, shop, shop.lot.units[0].barcode, shop.job.barcode)


def at_return_lot(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_RETURN)


def at_return_length(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_RETURN, shop.lot.units[0].barcode)


def at_return_bin(desk, shop, session, make):
    shopfloor.pull_material(session, shop.lot.units[0], shop.job, 40, user=shop.operator)
    session.commit()
    signed_in(desk, shop, codes.CMD_RETURN, shop.lot.units[0].barcode, "20")


def at_scrap_qty(desk, shop, session, make):
    signed_in(desk, shop, f"{shop.job.barcode}-10", codes.CMD_SCRAP)


def at_scrap_reason(desk, shop, session, make):
    signed_in(desk, shop, f"{shop.job.barcode}-10", codes.CMD_SCRAP, "3")


def at_hold_qty(desk, shop, session, make):
    signed_in(desk, shop, f"{shop.job.barcode}-10", codes.CMD_HOLD)


def at_hold_reason(desk, shop, session, make):
    signed_in(desk, shop, f"{shop.job.barcode}-10", codes.CMD_HOLD, "10")


def at_release(desk, shop, session, make):
    shopfloor.place_hold(session, shop.job.operations[0], 10, "MAT", user=shop.operator)
    session.commit()
    signed_in(desk, shop, shop.job.barcode, codes.CMD_RELEASE, who="inspector")


def at_ship_out(desk, shop, session, make):
    op10, op20, _ = shop.job.operations
    shopfloor.complete_operation(session, op10, 10, user=shop.operator)
    shopfloor.complete_operation(session, op20, 10, user=shop.operator)
    session.commit()
    signed_in(desk, shop, f"{shop.job.barcode}-30", codes.CMD_SHIP_OUT, who="shipper")


def at_receive(desk, shop, session, make):
    op10, op20, op30 = shop.job.operations
    shopfloor.complete_operation(session, op10, 10, user=shop.operator)
    shopfloor.complete_operation(session, op20, 10, user=shop.operator)
    shopfloor.ship_out(session, op30, 10, user=shop.shipper)
    session.commit()
    signed_in(desk, shop, f"{shop.job.barcode}-30", codes.CMD_RECEIVE, who="shipper")


def at_fg_qty(desk, shop, session, make):
    job = finished_job(shop, session, make)
    signed_in(desk, shop, job.barcode, codes.CMD_FG)


def at_fg_bin(desk, shop, session, make):
    job = finished_job(shop, session, make)
    signed_in(desk, shop, job.barcode, codes.CMD_FG, "10")


def at_ship_fg(desk, shop, session, make):
    fg_lot(shop, session, make)
    signed_in(desk, shop, codes.CMD_SHIP, who="shipper")


def at_ship_qty(desk, shop, session, make):
    lot = fg_lot(shop, session, make)
    signed_in(desk, shop, codes.CMD_SHIP, lot.barcode, who="shipper")


def at_pin(desk, shop, session, make):
    desk(shop.inspector.barcode)


def at_move_what(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_MOVE, who="handler")


def at_move_to(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_MOVE, shop.lot.units[0].barcode, who="handler")


def at_put_away(desk, shop, session, make):
    fg_lot(shop, session, make)
    signed_in(desk, shop, codes.CMD_MOVE, "BIN-R1-B02", who="handler")


def at_count_bin(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_COUNT, who="handler")


def at_count_unit(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_COUNT, "BIN-R1-A01", shop.lot.units[0].barcode, "144", who="handler")


def at_count_qty(desk, shop, session, make):
    signed_in(desk, shop, codes.CMD_COUNT, "BIN-R1-A01", shop.lot.units[0].barcode, who="handler")


def at_bench_lot(desk, shop, session, make):
    fg_lot(shop, session, make)
    signed_in(desk, shop, f"{codes.REL}{shop.line.releases[0].id}", who="shipper")


def at_bench_qty(desk, shop, session, make):
    at_bench_lot(desk, shop, session, make)
    desk(shop.fg.barcode)


CASES = [
    Case("pull:job", at_pull_job, lambda s: s.job.barcode, WAITING, "Pull {bar} for job {job}", "pull:qty",
         "JOB-NOPE", "There is no job JOB-NOPE."),
    Case("pull:qty", at_pull_qty, "37.5", DONE, "Pulled 37.5 in of {bar} for job {job}", None,
         "200", "has only 144 in left; 200 asked"),
    Case("return:lot", at_return_lot, lambda s: s.lot.units[0].barcode, WAITING, "Remnant of {bar}", "return:length",
         "LOT-NOPE-01", "There is no bar or plate LOT-NOPE-01."),
    Case("return:length", at_return_length, "20", WAITING, "Remnant of {bar}: 20 in", "return:bin",
         "20.0005", "lengths are measured to the thousandth"),
    Case("return:bin", at_return_bin, "BIN-R1-A01", DONE, "Remnant LOT-", None,
         "BIN-NOPE", "There is no bin BIN-NOPE."),
    Case("scrap:qty", at_scrap_qty, "3", WAITING, "Scrap 3 pcs at op 10 of job {job}", "scrap:reason",
         "500", "Only 100 pcs are at op 10; 500 scanned."),
    Case("scrap:reason", at_scrap_reason, "CMD-R-DIM", DONE, "Scrapped 3 pcs at op 10 of job {job}", None,
         "CMD-R-VND", "CMD-R-VND is not a scrap reason."),
    Case("hold:qty", at_hold_qty, "10", WAITING, "Hold 10 pcs at op 10 of job {job}", "hold:reason",
         "0", "A quantity of zero records nothing."),
    Case("hold:reason", at_hold_reason, "CMD-R-MAT", DONE, "On hold: 10 pcs of job {job} at op 10", None,
         "CMD-R-TOOL", "CMD-R-TOOL is not a hold reason."),
    Case("release:disposition", at_release, "CMD-D-REWORK", DONE, "Hold released: 10 pcs of job {job} — rework", None,
         "BOGUS", "BOGUS is not a disposition."),
    Case("ship_out:qty", at_ship_out, "10", DONE, "Shipped out 10 pcs of job {job} to ", None,
         "11", "Only 10 pcs are at op 30"),
    Case("receive:qty", at_receive, "10", DONE, "Received 10 pcs of job {job} back at op 30", None,
         "11", "Only 10 pcs of job {job} op 30 are at the vendor"),
    Case("fg:qty", at_fg_qty, "10", WAITING, "10 finished pcs of job {other}", "fg:bin",
         "11", "Only 10 finished pcs of job {other} are waiting; 11 scanned."),
    Case("fg:bin", at_fg_bin, "BIN-FG-01", DONE, "Finished goods FG-", None,
         "BIN-SCRAP", "BIN-SCRAP is not a finished-goods bin"),
    Case("ship:fg", at_ship_fg, lambda s: s.fg.barcode, WAITING, "Ship {fg}: 10 pcs of ", "ship:qty",
         "FG-NOPE", "There is no finished-goods lot FG-NOPE."),
    Case("ship:qty", at_ship_qty, "10", DONE, "Shipped 10 pcs of {fg}", None,
         "11", "{fg} holds only 10 pcs; 11 asked."),
    Case("sign_in:pin", at_pin, TEST_PIN, DONE, "Signed in: Ida Inspector", None,
         "12345678", "Wrong PIN — nobody was signed in."),
    Case(MOVE_WHAT, at_move_what, lambda s: s.lot.units[0].barcode, WAITING, "Move {bar} from BIN-R1-A01: 144 in",
         MOVE_TO, "BIN-NOPE", "There is no bin BIN-NOPE."),
    Case(MOVE_TO, at_move_to, "BIN-R1-B02", DONE, "Moved {bar} to BIN-R1-B02", None,
         "BIN-R1-A01", "{bar} is already in BIN-R1-A01."),
    Case(PUT_AWAY, at_put_away, lambda s: s.lot.units[0].barcode, DONE, "{bar} into BIN-R1-B02", PUT_AWAY,
         lambda s: s.fg.barcode, "BIN-R1-B02 (WIP cart) does not take finished goods"),
    Case(COUNT_BIN, at_count_bin, "BIN-R1-A01", WAITING, "Counting BIN-R1-A01", COUNT_UNIT,
         lambda s: s.lot.units[0].barcode, "A count starts with its bin; {bar} is not a bin."),
    Case(COUNT_UNIT, at_count_unit, lambda s: s.lot.units[1].barcode, WAITING, "LOT-", COUNT_QTY,
         lambda s: s.lot.units[0].barcode, "{bar} was counted already in this count."),
    Case(COUNT_QTY, at_count_qty, "143.5", DONE, "Counted {bar}: 143.5 in", COUNT_UNIT,
         "BIN-R1-A01", "{bar} waits for its length"),
    Case(BENCH_LOT, at_bench_lot, lambda s: s.fg.barcode, WAITING, "{fg}: 10 pcs for the shipment", BENCH_QTY,
         "FG-NOPE", "There is no finished-goods lot FG-NOPE."),
    Case(BENCH_QTY, at_bench_qty, codes.CMD_DONE, DONE, "Shipped SHP-7001: 10 pcs to ", None,
         "11", "{fg} holds only 10 pcs; 11 scanned."),
]


def test_every_step_is_driven():
    assert {case.step for case in CASES} == set(STEPS)


@pytest.fixture
def moving_shop(shop, make):
    """The scan fixtures' shop with a second rack bin to move into."""
    make.location("R1-B02", kind="cart")
    make.commit()
    return shop


@pytest.mark.parametrize("case", CASES, ids=[case.step for case in CASES])
def test_a_step_takes_its_scan(case, desk, moving_shop, session, make):
    shop = moving_shop
    case.setup(desk, shop, session, make)
    assert flows.read_state(session, desk.station).pending == case.step
    answer = desk(_code(case.good, shop))
    assert answer.outcome == case.outcome, answer.headline
    assert answer.headline.startswith(_words(case.headline, shop)), answer.headline
    assert answer.state.pending == case.next_step
    assert ledger.audit(session) == []


@pytest.mark.parametrize("case", CASES, ids=[case.step for case in CASES])
def test_a_step_refuses_and_stays(case, desk, moving_shop, session, make):
    shop = moving_shop
    case.setup(desk, shop, session, make)
    before, held = entries(session), balances(session)
    answer = desk(_code(case.bad, shop))
    assert answer.outcome == REFUSED
    assert _words(case.refusal, shop) in answer.headline, answer.headline
    assert answer.state.pending == case.step
    assert flows.read_state(session, desk.station).pending == case.step
    assert (entries(session), balances(session)) == (before, held)
