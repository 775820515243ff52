"""What one read is, in Chromium with a keyboard-wedge scanner: a CR+LF scanner's second Enter leaves
the answer alone, a double read counts once, a code's bidi controls do not turn the answer around,
and after a refusal the station says what to do now. With SPEX_SCREENSHOTS=1 the station after a
refusal is written to docs/img/station-refusal.png (otherwise to the test's temporary folder)."""
import os
from pathlib import Path

from sqlalchemy import func, select

from spex.models import ScanRecord
from tests.conftest import SCANNER_KEY_DELAY_MS
from tests.scan.conftest import pieces_at

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
# Long enough for a second answer, if one were coming, to reach the screen (a scan takes tens of ms here).
A_SECOND_ANSWER_WOULD_HAVE_COME_MS = 800


def test_a_cr_lf_scanners_second_enter_leaves_the_refusal_on_screen(operator_at, shop, session):
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    before = person.answers()
    # The scanner types the code, then CR and LF: Enter twice, a moment apart.
    person.page.keyboard.type("500", delay=SCANNER_KEY_DELAY_MS)
    person.page.keyboard.press("Enter")
    person.page.keyboard.press("Enter")
    person.page.wait_for_selector(f'body[data-answers="{before + 1}"]')
    person.page.wait_for_timeout(A_SECOND_ANSWER_WOULD_HAVE_COME_MS)
    assert person.answers() == before + 1
    assert person.outcome == "refused" and "Only 100 pcs" in person.headline
    assert person.page.locator("#scan-recent li").count() == 3
    session.rollback()
    assert session.scalar(select(func.count(ScanRecord.id)).where(ScanRecord.raw == "(empty)")) == 0
    assert session.scalar(select(func.count(ScanRecord.id))) == 3


def test_a_double_read_by_the_scanner_counts_once(operator_at, shop, session):
    op10 = shop.job.operations[0]
    person = operator_at()
    person.scan(shop.operator.barcode, f"{shop.job.barcode}-10")
    person.scan("7", "7")  # the same label read twice within a few milliseconds
    assert person.outcome == "waiting" and person.headline == "Read twice, counted once"
    assert f"Counted once: 7 good at op 10 of job {shop.job.number}." in person.page.inner_text("#scan-feedback")
    session.rollback()
    assert op10.qty_good == 7 and pieces_at(session, op10) == 93
    # A second later the same card scanned on purpose counts.
    person.page.wait_for_timeout(1_000)
    person.scan("7")
    assert person.outcome == "done"
    session.rollback()
    assert op10.qty_good == 14


def test_bidi_controls_in_a_code_do_not_turn_the_answer_around(operator_at, shop):
    person = operator_at()
    person.scan(shop.operator.barcode)
    person.scan("\u202eQQQ-123")
    assert person.headline == "Refused: QQQ-123 is not a code Spex knows."
    assert "\u202e" not in person.page.inner_text("body")


def test_the_station_after_a_refusal_says_what_to_do_now(operator_at, shop, session, tmp_path):
    bar, used_up = shop.lot.units
    person = operator_at()
    person.scan(shop.operator.barcode, used_up.barcode, shop.job.barcode, "144")
    person.scan(bar.barcode, shop.job.barcode)
    person.scan(used_up.barcode)
    assert person.outcome == "refused" and person.headline == f"Refused: {used_up.barcode} is empty or used up."
    step = "Scan another bar (LOT-…), or CMD-CANCEL to drop the material pull."
    assert person.page.inner_text("#scan-feedback .scan-next") == step  # "Next: " comes from the style sheet
    assert person.page.inner_text("#scan-expected") == "Next: " + step
    assert "length to pull" not in person.page.inner_text("body")
    out = DOCS_IMG if os.environ.get("SPEX_SCREENSHOTS") == "1" else tmp_path
    person.page.screenshot(path=str(out / "station-refusal.png"))
