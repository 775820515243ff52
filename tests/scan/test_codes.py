"""The scan grammar: what a scanner or a person types becomes one kind of scan, whatever the scanner adds."""
from decimal import Decimal

import pytest

from spex.scan import grammar
from spex.scan.grammar import parse


@pytest.mark.parametrize("raw, kind, value, seq", [
    ("EMP-0042", grammar.BADGE, "0042", None),
    ("  emp-0042\t", grammar.BADGE, "0042", None),
    ("]C0JOB-24017\r\n", grammar.JOB, "24017", None),
    ("job-24017-20", grammar.OPERATION, "24017", 20),
    ("]d2LOT-1187-03", grammar.LOT, "1187-03", None),
    ("]Q1 bin-r2-a03\n", grammar.BIN, "R2-A03", None),
    ("FG-5521\r", grammar.FG, "5521", None),
    ("VND-ACME-ANODIZE", grammar.VENDOR, "ACME-ANODIZE", None),
    ("cmd-ship-out", grammar.COMMAND, "CMD-SHIP-OUT", None),
    ("CMD-R-DIM", grammar.REASON, "DIM", None),
    ("cmd-d-rework", grammar.DISPOSITION, "rework", None),
    ("dim", grammar.WORD, "DIM", None),
])
def test_prefixes_case_whitespace_and_aim_identifiers(raw, kind, value, seq):
    scan = parse(raw)
    assert (scan.kind, scan.value, scan.op_seq) == (kind, value, seq)


@pytest.mark.parametrize("raw, quantity", [("80", Decimal("80")), ("0080", Decimal("80")), ("37.5", Decimal("37.5")),
                                           (".25", Decimal("0.25")), ("]C012\r\n", Decimal("12")),
                                           ("0", Decimal("0"))])
def test_digits_are_quantities_and_decimals_lengths(raw, quantity):
    scan = parse(raw)
    assert scan.kind == grammar.QUANTITY and scan.quantity == quantity


@pytest.mark.parametrize("raw", ["CMD-NOPE", "JOB-", "LOT-", "XYZ-1", "-5", "1e5x", "12.5.5", "CMD-R-NOPE",
                                 "CMD-D-MAYBE", "LOT-12 34", "<script>", "a" * 300])
def test_unknown_codes_are_unknown(raw):
    assert parse(raw).kind in (grammar.UNKNOWN, grammar.WORD)
    assert parse(raw).kind != grammar.QUANTITY


@pytest.mark.parametrize("raw", ["", "   ", "\r\n", "\t", "]C0", "\x00"])
def test_nothing_scanned(raw):
    assert parse(raw).kind == grammar.EMPTY


def test_a_huge_number_is_still_a_quantity_so_it_can_be_refused_as_absurd():
    assert parse("9" * 30).kind == grammar.QUANTITY


def test_dispositions_from_card_typed_or_scrap_command():
    assert grammar.disposition_of(parse("CMD-D-USE-AS-IS")) == "use_as_is"
    assert grammar.disposition_of(parse("rtv")) == "return_to_vendor"
    assert grammar.disposition_of(parse("CMD-SCRAP")) == "scrap"
    assert grammar.disposition_of(parse("use-as-is")) == "use_as_is"
    assert grammar.disposition_of(parse("80")) is None


@pytest.mark.parametrize("raw, kind", [("dim", grammar.WORD), ("use-as-is", grammar.WORD), ("RTV", grammar.WORD),
                                       ("return_to_vendor", grammar.WORD)])
def test_typed_reasons_and_dispositions_are_words(raw, kind):
    assert parse(raw).kind == kind


@pytest.mark.parametrize("raw, code", [("\u202eQQQ-123", "QQQ-123"), ("JOB-24017\u202c-20", "JOB-24017-20"),
                                       ("\u2066LOT-1187-03\u2069", "LOT-1187-03"), ("\u200f80", "80"),
                                       ("\ufeffEMP-0042", "EMP-0042"), ("BIN-R2\u200b-A03", "BIN-R2-A03"),
                                       ("\u061c\u200e", "")])
def test_bidi_controls_and_other_format_characters_are_dropped(raw, code):
    assert grammar.clean(raw) == code and grammar.printable(raw) == code
