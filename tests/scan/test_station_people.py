"""Who is signed in at a station: a re-scan of one's own badge changes nothing, signing out is its
own answer, inspectors and administrators confirm their badge with a PIN; and what a receipt from
an outside vendor says about the pieces still out or short."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from spex import codes, demo, shopfloor
from spex.models import ScanRecord, StationState, User, clock_at
from spex.scan import flows
from tests.conftest import TEST_PIN
from tests.scan.conftest import Scanner, entries

# A fixed moment on the shop's clock; the tests step it by seconds.
T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


def at(seconds: float):
    return clock_at(T0 + timedelta(seconds=seconds))


def state_of(session, station) -> StationState:
    session.expire_all()
    return session.get(StationState, station.id)


def signed_in(session, station) -> int | None:
    """Who is signed in at the station (a station whose every scan was refused has no state yet)."""
    state = state_of(session, station)
    return state.operator_id if state is not None else None


@pytest.fixture
def scan_exact(client, station):
    """The station's own answers, with no PIN typed for anyone."""
    return Scanner(client, pin=None)


# --- one's own badge again ---------------------------------------------------------------------

def test_own_badge_again_answers_already_signed_in_and_changes_nothing(scan, shop, session, station):
    op10 = shop.job.operations[0]
    with at(0):
        scan(shop.operator.barcode)
        scan(f"{shop.job.barcode}-10")
    with at(30):  # back from the coffee machine, "to be sure"
        again = scan(shop.operator.barcode)
    assert again.status == 200 and again.outcome == "waiting"
    assert again.headline == "Already signed in: Olga Operator"
    assert "Nothing changed" in again.html and "CMD-SIGN-OUT" in again.html
    state = state_of(session, station)
    assert (state.operator_id, state.job_operation_id) == (shop.operator.id, op10.id)
    with at(40):
        done = scan("12")
    assert done.outcome == "done" and done.headline == f"12 good at op 10 of job {shop.job.number}"


def test_own_badge_once_more_within_seconds_signs_out_in_its_own_colour(scan, shop, session, station):
    with at(0):
        scan(shop.operator.barcode)
    with at(10):
        assert scan(shop.operator.barcode).outcome == "waiting"
    with at(16):  # six seconds later: not a sign-out, another "already signed in"
        assert scan(shop.operator.barcode).headline == "Already signed in: Olga Operator"
    assert signed_in(session, station) == shop.operator.id
    with at(19):
        out = scan(shop.operator.barcode)
    assert out.status == 200 and out.outcome == "signed_out" and out.headline == "Signed out: Olga Operator"
    assert 'class="scan-answer scan-signed_out"' in out.html
    assert signed_in(session, station) is None


def test_a_double_read_of_the_badge_does_not_sign_out(scan, shop, session, station):
    with at(0):
        scan(shop.operator.barcode)
    with at(10):
        scan(shop.operator.barcode)
    with at(10.2):  # the scanner read the same badge twice: one read, nothing changes
        assert scan(shop.operator.barcode).headline == "Read twice, counted once"
    assert signed_in(session, station) == shop.operator.id
    with at(13):  # counted from the first answer, still within the seconds
        assert scan(shop.operator.barcode).outcome == "signed_out"


def test_another_scan_between_forgets_the_moment(scan, shop, session, station):
    with at(0):
        scan(shop.operator.barcode)
    with at(10):
        scan(shop.operator.barcode)
    with at(11):
        scan(shop.job.barcode)
    with at(12):
        assert scan(shop.operator.barcode).headline == "Already signed in: Olga Operator"
    assert signed_in(session, station) == shop.operator.id


def test_cmd_sign_out_signs_out_at_once_with_its_own_outcome(scan, shop, session, station):
    scan(shop.operator.barcode)
    out = scan("CMD-SIGN-OUT")
    assert out.status == 200 and out.outcome == "signed_out" and out.headline == "Signed out: Olga Operator"
    assert signed_in(session, station) is None
    assert session.scalars(select(ScanRecord.outcome).order_by(ScanRecord.id)).all()[-1] == "signed_out"


# --- the PIN of those who may release holds or administer ---------------------------------------

def test_an_inspectors_badge_alone_does_not_sign_in(scan_exact, shop, session, station):
    asked = scan_exact(shop.inspector.barcode)
    assert asked.status == 200 and asked.outcome == "waiting" and asked.headline == "Enter your PIN: Ida Inspector"
    assert asked.asks_pin and "it is not shown" in asked.html
    assert signed_in(session, station) is None
    refused = scan_exact("CMD-RELEASE")
    assert refused.status == 422 and "A PIN is 4 to 8 digits" in refused.headline
    assert signed_in(session, station) is None


@pytest.mark.parametrize("role", [codes.INSPECTOR, codes.ADMIN])
def test_the_right_pin_signs_in_and_is_never_shown_or_kept(scan_exact, make, session, station, client, role):
    person = make.user(role, name="Rita Gomez", pin="60606")
    make.commit()
    scan_exact(person.barcode)
    answer = scan_exact("60606")
    assert answer.outcome == "done" and answer.headline == "Signed in: Rita Gomez"
    assert signed_in(session, station) == person.id
    assert "60606" not in answer.html
    raws = session.scalars(select(ScanRecord.raw).order_by(ScanRecord.id)).all()
    assert raws == [person.barcode, flows.PIN_MASK]
    page = client.get("/station").get_data(as_text=True)
    assert "60606" not in page and flows.PIN_MASK in page
    assert 'type="text"' in page.split('id="scan-input"')[1].split(">")[0]


def test_the_station_field_hides_what_is_typed_while_it_waits_for_a_pin(scan_exact, shop, client):
    scan_exact(shop.inspector.barcode)
    field = client.get("/station").get_data(as_text=True).split('id="scan-input"')[1].split(">")[0]
    assert 'type="password"' in field


def test_a_wrong_pin_signs_nobody_in_and_three_lock_pin_entry_for_a_while(scan_exact, shop, session, station):
    before = entries(session)
    with at(0):
        scan_exact(shop.operator.barcode)
        scan_exact(shop.inspector.barcode)
        wrong = scan_exact("1111")
    assert wrong.status == 422 and wrong.outcome == "refused"
    assert wrong.headline == "Refused: Wrong PIN — nobody was signed in."
    assert "2 more tries" in wrong.html and "1111" not in wrong.html
    assert signed_in(session, station) is None  # the operator before is signed out too
    with at(5):
        assert "1 more try" in scan_exact("2222").html
    with at(10):
        locked = scan_exact("3333")
    assert locked.status == 422 and "locked until" in locked.headline
    with at(60):
        scan_exact(shop.inspector.barcode)
        again = scan_exact(TEST_PIN)
    assert again.status == 422 and signed_in(session, station) is None
    with at(61):  # badges without a PIN still sign in
        assert scan_exact(shop.operator.barcode).headline == "Signed in: Olga Operator"
    with at(62):
        badge = scan_exact(shop.inspector.barcode)
    assert badge.status == 422 and "PIN entry at this station is locked until" in badge.headline
    with at(10 + flows.PIN_LOCKOUT.seconds + 1):
        scan_exact(shop.inspector.barcode)
        assert scan_exact(TEST_PIN).headline == "Signed in: Ida Inspector"
    raws = " ".join(session.scalars(select(ScanRecord.raw)).all())
    assert not any(pin in raws for pin in ("1111", "2222", "3333", TEST_PIN))
    assert entries(session) == before


def test_a_right_pin_ends_the_count_of_wrong_ones(scan_exact, shop, session, station):
    with at(0):
        scan_exact(shop.inspector.barcode)
        scan_exact("1111")
        scan_exact("2222")
        assert scan_exact(TEST_PIN).headline == "Signed in: Ida Inspector"
        scan_exact("CMD-SIGN-OUT")
        scan_exact(shop.inspector.barcode)
        assert "2 more tries" in scan_exact("1111").html


def test_a_pin_not_typed_in_time_signs_nobody_in(scan_exact, shop, session, station):
    with at(0):
        scan_exact(shop.inspector.barcode)
    with at(flows.PIN_WAIT.seconds + 1):
        late = scan_exact(TEST_PIN)
    assert late.status == 422 and "not entered in time" in late.headline
    assert signed_in(session, station) is None


def test_without_a_pin_an_inspector_cannot_sign_in_at_a_station(scan_exact, make, session, station):
    inspector = make.user(codes.INSPECTOR, name="Nia New", pin=None)
    make.commit()
    refused = scan_exact(inspector.barcode)
    assert refused.status == 422 and "Nia New has no station PIN yet" in refused.headline
    assert "Ask an administrator to set your PIN" in refused.html
    assert signed_in(session, station) is None


def test_a_planner_does_not_sign_in_at_a_station(scan_exact, make, session, station):
    planner = make.user(codes.PLANNER, name="Priya Planner")
    make.commit()
    refused = scan_exact(planner.barcode)
    assert refused.status == 422 and "not a shop-floor role" in refused.headline
    assert signed_in(session, station) is None


def test_the_demo_inspector_and_admin_sign_in_with_the_pins_the_readme_gives(scan_exact, session, station):
    demo._people(session)
    session.commit()
    readme = open("README.md", encoding="utf-8").read()
    for badge, who, name in (("0060", "inspector", "Rita Gomez"), ("0001", "admin", "Alex Morgan")):
        pin = demo.DEMO_PINS[who]
        assert f"`EMP-{badge}` ({who}) with PIN `{pin}`" in readme
        assert f"EMP-{badge} ({who}) with PIN {pin}" in demo.LOGINS_TEXT
        assert scan_exact(f"EMP-{badge}").asks_pin
        assert scan_exact(pin).headline == f"Signed in: {name}"
        scan_exact("CMD-SIGN-OUT")


# --- a refused badge ----------------------------------------------------------------------------------

@pytest.fixture(params=["deactivated", "no PIN yet", "planner", "nobody's"])
def refused_badge(request, make):
    """A badge the station turns down, and the person it names (None for a badge of nobody)."""
    if request.param == "nobody's":
        return "EMP-9999", None
    if request.param == "deactivated":
        person = make.user(codes.OPERATOR, name="Dina Gone")
        person.active = False
    elif request.param == "no PIN yet":
        person = make.user(codes.INSPECTOR, name="Nia New", pin=None)
    else:
        person = make.user(codes.PLANNER, name="Priya Planner")
    make.commit()
    return person.barcode, person


def recorded_for(session, person) -> list:
    return session.scalars(select(ScanRecord.raw).where(ScanRecord.user_id == person.id)).all() if person else []


def test_a_refused_badge_while_a_pin_is_awaited_leaves_the_station_waiting_for_a_badge(
        scan_exact, shop, session, station, client, refused_badge):
    badge, person = refused_badge
    with at(0):
        assert scan_exact(shop.inspector.barcode).asks_pin
    with at(5):
        refused = scan_exact(badge)
    assert refused.status == 422 and not refused.asks_pin
    assert "Nobody is signed in at this station now" in refused.html and "Scan your badge" in refused.html
    field = client.get("/station").get_data(as_text=True).split('id="scan-input"')[1].split(">")[0]
    assert 'type="text"' in field  # no longer a hidden PIN field
    with at(10):  # the inspector's PIN, typed by whoever is at the station now, signs nobody in
        after = scan_exact(TEST_PIN)
    assert after.status == 422 and after.headline == "Refused: Nobody is signed in at this station."
    assert signed_in(session, station) is None and state_of(session, station).pending is None
    assert recorded_for(session, person) == []
    raws = session.scalars(select(ScanRecord.raw).order_by(ScanRecord.id)).all()
    assert raws[-1] == flows.PIN_MASK and TEST_PIN not in raws


def test_a_refused_badge_signs_out_whoever_was_signed_in(scan, scan_exact, shop, session, station, refused_badge):
    badge, person = refused_badge
    before = entries(session)
    with at(0):
        scan(shop.operator.barcode)
        scan(f"{shop.job.barcode}-10")
    with at(5):
        refused = scan(badge)
    assert refused.status == 422 and "Nobody is signed in at this station now" in refused.html
    assert signed_in(session, station) is None
    state = state_of(session, station)
    assert (state.job_id, state.job_operation_id) == (None, None)
    with at(10):  # a count typed now is nobody's: not the operator's before, not the refused person's
        assert scan_exact("12").status == 422
    assert entries(session) == before and recorded_for(session, person) == []


def test_a_badge_refused_while_pin_entry_is_locked_signs_out_the_operator_before(scan_exact, shop, session, station):
    before = entries(session)
    with at(0):
        scan_exact(shop.inspector.barcode)
        for wrong in ("1111", "2222", "3333"):
            scan_exact(wrong)
    with at(20):
        assert scan_exact(shop.operator.barcode).headline == "Signed in: Olga Operator"
        scan_exact(f"{shop.job.barcode}-10")
    with at(25):
        locked = scan_exact(shop.inspector.barcode)
    assert locked.status == 422 and "PIN entry at this station is locked until" in locked.headline
    assert not locked.asks_pin and signed_in(session, station) is None
    with at(30):
        assert scan_exact("12").status == 422
    assert entries(session) == before and recorded_for(session, shop.inspector) == []
    with at(31):  # the lockout stands: the cleared station keeps its count of wrong PINs
        assert "locked until" in scan_exact(shop.inspector.barcode).headline


# --- an admin sets the PIN ------------------------------------------------------------------------

def test_an_admin_sets_a_pin_that_is_never_shown_back(client, login_as, make, session):
    login_as(codes.ADMIN)
    inspector = make.user(codes.INSPECTOR, name="Nia New", pin=None)
    make.commit()
    page = client.get(f"/masters/users/{inspector.id}").get_data(as_text=True)
    assert "No PIN set" in page and "the badge alone does not sign in" in page
    form = {"name": "Nia New", "badge": inspector.badge, "role": codes.INSPECTOR, "username": inspector.username,
            "password": "", "pin": "48213"}
    bad_pins = (("12", "4 to 8 digits"), ("12a45", "4 to 8 digits"), (inspector.badge, "Not the badge number"))
    for bad, message in bad_pins:
        refused = client.post(f"/masters/users/{inspector.id}", data=form | {"pin": bad})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
        session.expire_all()
        assert session.get(User, inspector.id).pin_hash is None
    assert client.post(f"/masters/users/{inspector.id}", data=form).status_code == 302
    session.expire_all()
    saved = session.get(User, inspector.id)
    assert saved.pin_hash and "48213" not in saved.pin_hash
    page = client.get(f"/masters/users/{inspector.id}").get_data(as_text=True)
    assert "PIN set" in page and "48213" not in page
    assert "PIN set" in client.get("/masters/users").get_data(as_text=True)
    # an operator's badge alone signs in: a PIN for one is refused rather than kept unused
    operator = make.user(codes.OPERATOR)
    make.commit()
    refused = client.post(f"/masters/users/{operator.id}", data=form | {
        "name": operator.name, "badge": operator.badge, "role": codes.OPERATOR, "username": operator.username})
    assert refused.status_code == 422 and "Only inspectors and administrators" in refused.get_data(as_text=True)


# --- the first administrator, made on the command line -----------------------------------------------

def created_pin(output: str) -> str:
    match = re.search(r"Station PIN: (\d+) ", output)
    assert match, output
    return match.group(1)


def test_the_first_admin_gets_a_pin_printed_once_and_signs_in_with_it(runner, scan_exact, session, station,
                                                                      monkeypatch):
    monkeypatch.setenv("SPEX_ADMIN_PASSWORD", "a long enough secret")  # no standard input, as in CI
    made = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--name", "Bo Boss",
                               "--badge", "0001"], input=None)
    assert made.exit_code == 0, made.output
    pin = created_pin(made.output)
    assert codes.is_pin(pin) and pin != "0001" and "EMP-0001" in made.output
    boss = session.scalar(select(User).where(User.username == "boss"))
    assert boss.pin_hash and pin not in boss.pin_hash
    assert scan_exact("EMP-0001").asks_pin
    assert scan_exact(pin).headline == "Signed in: Bo Boss"
    assert signed_in(session, station) == boss.id


def test_the_first_admins_pin_may_be_chosen_and_a_bad_one_creates_nobody(runner, scan_exact, session, station,
                                                                         monkeypatch):
    monkeypatch.setenv("SPEX_ADMIN_PASSWORD", "a long enough secret")
    for bad, message in (("12", "4 to 8 digits"), ("12ab", "4 to 8 digits"), ("0001", "Not the badge number")):
        refused = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--badge", "0001", "--pin", bad])
        assert refused.exit_code != 0 and message in refused.output
        assert session.scalar(select(User).where(User.username == "boss")) is None
    chosen = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--name", "Bo Boss",
                                 "--badge", "EMP-0001"], env={"SPEX_ADMIN_PIN": "73915"})
    assert chosen.exit_code == 0, chosen.output
    assert "73915" not in chosen.output and "Station PIN:" not in chosen.output
    again = runner.invoke(args=["spex", "create-admin", "--username", "boss", "--badge", "0002"])
    assert again.exit_code != 0 and "already has that user name or badge" in again.output
    scan_exact("EMP-0001")
    assert scan_exact("73915").headline == "Signed in: Bo Boss"


# --- receipts from an outside vendor --------------------------------------------------------------

@pytest.fixture
def out_at_vendor(scan, shop, session):
    """10 pcs of op 30 (anodize) out at the vendor."""
    op10, op20, op30 = shop.job.operations
    shopfloor.complete_operation(session, op10, 10, user=shop.operator)
    shopfloor.complete_operation(session, op20, 10, user=shop.operator)
    session.commit()
    scan.all(shop.shipper.barcode, f"{shop.job.barcode}-30", "CMD-SHIP-OUT", "10")
    return op30


def test_closing_a_shipment_short_says_how_many(scan, shop, out_at_vendor, client, login_as):
    closing = scan.all("CMD-RECEIVE", "CMD-DONE", "8")[-1]
    assert closing.outcome == "done"
    assert closing.headline == (f"Received 8 pcs of job {shop.job.number} back at op 30; "
                                "2 short — the shipment is closed")
    login_as(codes.PLANNER)
    page = client.get(f"/jobs/{shop.job.number}").get_data(as_text=True)
    assert "2 short" in page and "still at the vendor" not in page
    shipment = client.get(f"/jobs/{shop.job.number}.json").get_json()["outside_shipments"][0]
    assert (shipment["short_count"], shipment["outstanding"], shipment["closed"]) == (2, 0, True)


def test_a_partial_receipt_says_how_many_are_still_at_the_vendor(scan, shop, out_at_vendor, client, login_as):
    partial = scan.all("CMD-RECEIVE", "8")[-1]
    assert partial.outcome == "done" and "2 still at the vendor" in partial.html
    login_as(codes.PLANNER)
    page = client.get(f"/jobs/{shop.job.number}").get_data(as_text=True)
    assert "2 still at the vendor" in page
    shipment = client.get(f"/jobs/{shop.job.number}.json").get_json()["outside_shipments"][0]
    assert (shipment["quantity_back"], shipment["outstanding"], shipment["short_count"]) == (8, 2, 0)
