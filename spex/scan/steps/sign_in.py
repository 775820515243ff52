"""Signing in and out at the station: the badge, the PIN step after it for some roles, and wrong PINs."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash

from spex import codes
from spex.models import utcnow
from spex.scan import grammar
from spex.scan.answers import DONE, REFUSED, SIGNED_OUT, WAITING, Answer, Refused
from spex.scan.grammar import Scan
from spex.scan.state import decode
from spex.scan.steps import on_the_clock, step, stored_moment

if TYPE_CHECKING:
    from spex.scan.flows import _Flow
    from spex.scan.state import Person

# One's own badge again answers "already signed in"; only the same badge once more within this
# time of that answer signs out. Sooner than DOUBLE_READ it is the scanner reading the badge twice.
SIGN_OUT_AGAIN = timedelta(seconds=5)
DOUBLE_READ = timedelta(seconds=1)
# A person of codes.PIN_ROLES types their PIN within PIN_WAIT of their badge. After PIN_TRIES wrong
# PINs in a row at one station, that station takes no PIN for PIN_LOCKOUT (badges without a PIN
# still sign in there). Counted per station, in its state: simple, and enough against guessing at
# the keyboard of one station.
PIN_WAIT = timedelta(minutes=2)
PIN_TRIES = 3
PIN_LOCKOUT = timedelta(minutes=5)
# What the scan records and the recent list show instead of anything typed while a PIN is awaited.
PIN_MASK = "PIN ••••"
# Scans that may be a PIN (or a mistyped one); labels with a prefix plainly are not.
MAY_BE_A_PIN = (grammar.QUANTITY, grammar.WORD, grammar.UNKNOWN)
# Keys of the station's data: the moment of "already signed in", the PIN being awaited, the count of
# wrong PINs and the lockout (these last survive a cleared context).
BADGE_AGAIN_AT = "badge_again_at"
PIN_FOR, PIN_ASKED_AT = "pin_for", "pin_asked_at"
PIN_MISSES, PIN_MISSED_AT, PIN_LOCKED_UNTIL = "pin_misses", "pin_missed_at", "pin_locked_until"
KEPT_BY_CLEAR = (PIN_MISSES, PIN_MISSED_AT, PIN_LOCKED_UNTIL)


def scan_badge(flow: _Flow, scan: Scan, badge_again_at: datetime | None = None) -> Answer:
    user = flow.person_by_badge(scan.value)
    if user is None:
        raise Refused(f"Badge {scan.code} belongs to nobody.", "Ask the office to register the badge.")
    if not user.active:
        raise Refused(f"{user.name}'s badge is deactivated.", "See the office.")
    if flow.operator is not None and flow.operator.id == user.id:
        return badge_again(flow, badge_again_at)
    if user.role not in codes.FLOOR_ROLES and user.role != codes.ADMIN:
        raise Refused(f"{user.name} is a {codes.ROLES[user.role].lower()}, not a shop-floor role.",
                      "Scan the badge of an operator, material handler, inspector or shipper.")
    if user.role in codes.PIN_ROLES:
        return ask_pin(flow, user)
    return sign_in(flow, user)


def refused_badge(flow: _Flow, refusal: Refused, signed_in: int | None) -> Answer:
    """After a refused badge, with the scan's work rolled back: someone else is at the station now, so
    whoever was signed in is signed out, and a PIN awaited for an earlier badge is awaited no more
    (the next digits would be taken as that person's PIN). The refused person is signed in to
    nothing; the scan is recorded under whoever was signed in when it came."""
    flow.data = decode(flow.state.data)  # as read: the refused scan changed none of it
    flow.clear(keep_operator=False)
    flow.save()
    remedy = refusal.next_step.rstrip(".") + ". " if refusal.next_step else ""
    return Answer(REFUSED, refusal.message, "Nobody is signed in at this station now.",
                  next_step=f"{remedy}Scan your badge (EMP-…) to sign in.", operator_id=signed_in,
                  station=flow.station, state=flow.state)


def sign_in(flow: _Flow, user: Person) -> Answer:
    flow.clear(keep_operator=False)
    flow.state.operator_id = user.id
    flow.operator = user
    return Answer(DONE, f"Signed in: {user.name}", codes.ROLES[user.role], next_step=flow.next_step())


def badge_again(flow: _Flow, badge_again_at: datetime | None) -> Answer:
    """One's own badge again changes nothing: people re-scan to be sure. Signing out is meant: the
    badge once more within a few seconds of this answer, or CMD-SIGN-OUT."""
    now = utcnow()
    if badge_again_at is not None and timedelta(0) <= now - badge_again_at < SIGN_OUT_AGAIN:
        if now - badge_again_at >= DOUBLE_READ:
            return sign_out(flow)
        now = badge_again_at  # the scanner read the badge twice: the seconds count from the first
    flow.data[BADGE_AGAIN_AT] = now.isoformat()
    return Answer(WAITING, f"Already signed in: {flow.operator.name}",
                  f"Nothing changed. To sign out, scan your badge once more within "
                  f"{SIGN_OUT_AGAIN.seconds} seconds, or scan CMD-SIGN-OUT.",
                  next_step=flow.next_step())


def sign_out(flow: _Flow) -> Answer:
    name = flow.operator.name
    flow.clear(keep_operator=False)
    return Answer(SIGNED_OUT, f"Signed out: {name}", next_step="Next person: scan your badge.")


def pin_locked_until(flow: _Flow) -> datetime | None:
    until = stored_moment(flow.data.get(PIN_LOCKED_UNTIL))
    if until is not None and utcnow() < until:
        return until
    flow.data.pop(PIN_LOCKED_UNTIL, None)  # over: forgotten
    return None


def ask_pin(flow: _Flow, user: Person) -> Answer:
    """The badge of someone who may release holds or administer is half a sign-in: the PIN follows."""
    locked = pin_locked_until(flow)
    if locked is not None:
        raise Refused(f"PIN entry at this station is locked until {on_the_clock(locked)} after {PIN_TRIES} wrong PINs.",
                      "Wait until then; badges without a PIN still sign in here. Forgot your PIN? "
                      "Ask an administrator.")
    if not flow.person_with_pin(user.id)[1]:
        raise Refused(f"{user.name} has no station PIN yet — an {codes.ROLE_NOUNS[user.role]}'s badge alone "
                      "does not sign in.", "Ask an administrator to set your PIN (Masters › Users).")
    flow.clear(keep_operator=False)
    flow.expect(SIGN_IN_PIN, **{PIN_FOR: user.id, PIN_ASKED_AT: utcnow().isoformat()})
    return Answer(WAITING, f"Enter your PIN: {user.name}",
                  f"{codes.ROLES[user.role]}: the badge alone does not sign in.",
                  next_step=flow.next_step())


SIGN_IN_PIN = "sign_in:pin"


@step(SIGN_IN_PIN, "Sign-in: PIN", "Type your PIN and press Enter (it is not shown), or scan CMD-CANCEL.")
def sign_in_pin(flow: _Flow, scan: Scan) -> Answer:
    """The PIN after the badge. Nothing typed here is repeated in an answer. A wrong PIN is refused
    but returned, not raised: the count of wrong PINs must stay, and a refusal rolls back."""
    if scan.kind == grammar.COMMAND and scan.code in (codes.CMD_CANCEL, codes.CMD_SIGN_OUT):
        flow.clear(keep_operator=False)
        return Answer(WAITING, "Cleared", "Nobody is signed in.", next_step=flow.next_step())
    now = utcnow()
    person, pin_hash = flow.person_with_pin(int(flow.data.get(PIN_FOR) or 0))
    asked = stored_moment(flow.data.get(PIN_ASKED_AT))
    if (person is None or not pin_hash or not person.active
            or asked is None or not timedelta(0) <= now - asked <= PIN_WAIT):
        flow.clear(keep_operator=False)
        return Answer(REFUSED, "The PIN was not entered in time — nobody is signed in.",
                      next_step="Scan your badge (EMP-…) again.")
    pin = scan.code
    if scan.kind not in MAY_BE_A_PIN or not codes.is_pin(pin):
        raise Refused(f"A PIN is {codes.PIN_MIN_DIGITS} to {codes.PIN_MAX_DIGITS} digits — nobody was signed in.",
                      "Type your PIN and press Enter, or scan CMD-CANCEL.")
    if not check_password_hash(pin_hash, pin):
        return wrong_pin(flow, now)
    answer = sign_in(flow, person)
    for key in (PIN_MISSES, PIN_MISSED_AT):
        flow.data.pop(key, None)
    return answer


def wrong_pin(flow: _Flow, now: datetime) -> Answer:
    missed_at = stored_moment(flow.data.get(PIN_MISSED_AT))
    in_a_row = missed_at is not None and timedelta(0) <= now - missed_at < PIN_LOCKOUT
    misses = (int(flow.data.get(PIN_MISSES) or 0) if in_a_row else 0) + 1
    minutes = PIN_LOCKOUT.seconds // 60
    if misses >= PIN_TRIES:
        until = now + PIN_LOCKOUT
        flow.clear(keep_operator=False)
        for key in (PIN_MISSES, PIN_MISSED_AT):
            flow.data.pop(key, None)
        flow.data[PIN_LOCKED_UNTIL] = until.isoformat()
        return Answer(REFUSED, f"Wrong PIN — PIN entry at this station is locked until {on_the_clock(until)}.",
                      f"{PIN_TRIES} wrong PINs in a row; nobody was signed in.",
                      next_step="Badges without a PIN still sign in here. Forgot your PIN? Ask an administrator.")
    flow.data[PIN_MISSES], flow.data[PIN_MISSED_AT] = str(misses), now.isoformat()
    left = PIN_TRIES - misses
    return Answer(REFUSED, "Wrong PIN — nobody was signed in.",
                  f"{left} more {'try' if left == 1 else 'tries'} before PIN entry at this station locks for "
                  f"{minutes} minutes.", next_step="Type your PIN again, or scan CMD-CANCEL.")
