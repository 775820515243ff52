"""The shop's code grammar: what one scanned or typed string means.

A keyboard-wedge scanner types whatever its label holds, sometimes with an AIM symbology
identifier in front (]C0, ]d2) and CR/LF/TAB behind; people type in lower case. Everything is
reduced here to one Scan, so the state machine in flows.py never looks at raw text. The top-bar
search and the label station read codes with the same cleaning (read_code) and the same prefixes
(split_prefix).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from spex import codes

# Kinds of scan.
BADGE = "badge"
JOB = "job"
OPERATION = "operation"
BIN = "bin"
LOT = "lot"
FG = "fg"
RELEASE = "release"      # REL-<id>: a release or call-off to ship against
ORDER_LINE = "order_line"  # LINE-<id>: an order line to ship against
VENDOR = "vendor"
PURCHASE_ORDER = "purchase_order"  # PO-3001: received at the dock, not at a station
COMMAND = "command"
REASON = "reason"
DISPOSITION = "disposition"
QUANTITY = "quantity"
WORD = "word"          # a bare word: a typed reason or disposition, or nonsense
UNKNOWN = "unknown"
EMPTY = "empty"

# Reason codes printed on a card as CMD-R-DIM (the bare code may be typed too).
REASON_PREFIX = "CMD-R-"
# Dispositions an inspector scans when releasing a hold. They are the scan station's own
# commands, printed on the command card beside CMD-RELEASE.
DISPOSITION_PREFIX = "CMD-D-"
DISPOSITION_CODES = {
    "USE-AS-IS": codes.USE_AS_IS,
    "REWORK": codes.REWORK,
    "SCRAP": codes.SCRAP,
    "RTV": codes.RETURN_TO_VENDOR,
}
# Typed forms people use for the same dispositions.
DISPOSITION_WORDS = {**DISPOSITION_CODES, "USE_AS_IS": codes.USE_AS_IS, "UAI": codes.USE_AS_IS,
                     "RETURN-TO-VENDOR": codes.RETURN_TO_VENDOR, "RETURN_TO_VENDOR": codes.RETURN_TO_VENDOR}

COMMANDS = (codes.CMD_DONE, codes.CMD_CANCEL, codes.CMD_UNDO, codes.CMD_SCRAP, codes.CMD_HOLD,
            codes.CMD_RELEASE, codes.CMD_RETURN, codes.CMD_SHIP_OUT, codes.CMD_RECEIVE, codes.CMD_SHIP,
            codes.CMD_FG, codes.CMD_MOVE, codes.CMD_COUNT, codes.CMD_SIGN_OUT)

# Prefixes whose code is the prefix and one record's code, nothing more to read.
_SIMPLE_KINDS = {codes.EMP: BADGE, codes.BIN: BIN, codes.LOT: LOT, codes.FG: FG, codes.VND: VENDOR,
                 codes.PO: PURCHASE_ORDER}

# Longest code a label carries; anything longer is two scans run together or a stuck key.
MAX_CODE_LENGTH = 80

# AIM symbology identifier: "]" + symbology letter + one modifier character (]C0 Code 128,
# ]d2 DataMatrix, ]Q1 QR, ]E0 EAN...).
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# Control characters a scanner or a terminal may add: CR, LF, TAB, GS, NUL, DEL...
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Unicode format characters (category Cf): bidirectional controls such as U+202E, which would make
# a refusal that echoes the code read backwards, zero-width spaces and joiners, the byte-order mark.
# No label carries one; a software wedge or a pasted code may. They are dropped, not spaced.
_FORMAT = "Cf"
_CODE_BODY = re.compile(r"^[A-Z0-9][A-Z0-9._/-]*$")
_QUANTITY = re.compile(r"^(\d{1,40})(?:\.(\d{1,6}))?$|^\.(\d{1,6})$")


@dataclass(frozen=True)
class Scan:
    kind: str
    code: str                    # the cleaned, upper-case code as shown back to the operator
    value: str = ""              # what follows the prefix: badge, job number, bin code, command...
    op_seq: int | None = None    # JOB-24017-20: 20
    quantity: Decimal | None = None

    @property
    def is_whole(self) -> bool:
        return self.quantity is not None and self.quantity == self.quantity.to_integral_value()


def _without_format_characters(text: str) -> str:
    if text.isascii():  # every label's code: nothing to look up
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != _FORMAT)


def clean(raw: str | None) -> str:
    """The code without a scanner's additions, trimmed and upper case."""
    text = _CONTROL.sub(" ", _without_format_characters(raw or "")).strip()
    text = _AIM.sub("", text, count=1).strip()
    # A second identifier can follow when a scanner and a software wedge both add one.
    text = _AIM.sub("", text, count=1).strip()
    return text.upper()


def read_code(raw: str | None) -> str:
    """A code typed or scanned into a search box: cleaned as a scan is, no longer than a label's."""
    return clean(raw)[:MAX_CODE_LENGTH]


def split_prefix(code: str) -> tuple[str, str]:
    """The label prefix a cleaned code starts with (codes.JOB, codes.LOT...) and what follows it;
    ("", code) for a code without one."""
    for prefix in codes.PREFIXES:
        if code.startswith(prefix):
            return prefix, code[len(prefix):]
    return "", code


def printable(raw: str | None, limit: int = 200) -> str:
    """The raw scan as it may be stored and shown: control and format characters dropped, length bounded."""
    return _CONTROL.sub("", _without_format_characters(raw or ""))[:limit]


def parse(raw: str | None) -> Scan:
    code = clean(raw)
    if not code:
        return Scan(EMPTY, "")
    if len(code) > MAX_CODE_LENGTH:
        return Scan(UNKNOWN, code[:MAX_CODE_LENGTH] + "…")

    quantity = _quantity(code)
    if quantity is not None:
        return Scan(QUANTITY, code, quantity=quantity)

    if code.startswith(REASON_PREFIX):
        return _known_or_unknown(REASON, code, code[len(REASON_PREFIX):], _is_reason)
    if code.startswith(DISPOSITION_PREFIX):
        value = DISPOSITION_CODES.get(code[len(DISPOSITION_PREFIX):])
        return Scan(DISPOSITION, code, value) if value else Scan(UNKNOWN, code)
    prefix, value = split_prefix(code)
    if prefix == codes.CMD:
        return Scan(COMMAND, code, code) if code in COMMANDS else Scan(UNKNOWN, code)
    if prefix == codes.JOB:
        return _job(code)
    if prefix in (codes.REL, codes.LINE):
        kind = RELEASE if prefix == codes.REL else ORDER_LINE
        return Scan(kind, code, value) if value.isdecimal() and len(value) <= 9 else Scan(UNKNOWN, code)
    kind = _SIMPLE_KINDS.get(prefix)
    if kind is not None:
        return Scan(kind, code, value) if _CODE_BODY.match(value) else Scan(UNKNOWN, code)

    # A bare word may be a typed reason or disposition; the step waiting for one judges it (and
    # names the choices), anywhere else the station refuses it as a code it does not know.
    if code in DISPOSITION_WORDS or (_CODE_BODY.match(code) and "-" not in code and "." not in code):
        return Scan(WORD, code, code)
    return Scan(UNKNOWN, code)


def reason_of(scan: Scan, reasons: dict[str, str]) -> str | None:
    """The reason code a scan gives from a list of reasons (CMD-R-DIM scanned or DIM typed)."""
    if scan.kind in (REASON, WORD) and scan.value in reasons:
        return scan.value
    return None


def disposition_of(scan: Scan) -> str | None:
    """The disposition an inspector gave: CMD-D-REWORK scanned, CMD-SCRAP from the card, or typed."""
    if scan.kind == DISPOSITION:
        return scan.value
    if scan.kind == COMMAND and scan.code == codes.CMD_SCRAP:
        return codes.SCRAP
    if scan.kind == WORD:
        return DISPOSITION_WORDS.get(scan.code)
    return None


def _quantity(code: str) -> Decimal | None:
    match = _QUANTITY.match(code)
    if not match:
        return None
    try:
        return Decimal(code if not code.startswith(".") else "0" + code)
    except InvalidOperation:  # the pattern admits only digits; kept for safety of the grammar
        return None


def _job(code: str) -> Scan:
    body = code[len(codes.JOB):]
    if not _CODE_BODY.match(body):
        return Scan(UNKNOWN, code)
    number, dash, seq = body.rpartition("-")
    if dash and number and seq.isdecimal() and len(seq) <= 6:
        # JOB-24017-20 is op 20 of job 24017; flows.py falls back to a job numbered "24017-20".
        return Scan(OPERATION, code, number, op_seq=int(seq))
    return Scan(JOB, code, body)


def is_known_word(value: str) -> bool:
    """A typed word that names a scrap or hold reason or a disposition."""
    return _is_reason(value) or value in DISPOSITION_WORDS


def _is_reason(value: str) -> bool:
    return value in codes.SCRAP_REASONS or value in codes.HOLD_REASONS


def _known_or_unknown(kind: str, code: str, value: str, known) -> Scan:
    return Scan(kind, code, value) if known(value) else Scan(UNKNOWN, code)
