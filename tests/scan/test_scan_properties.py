"""Whatever arrives at the scan endpoint, in whatever order: never a 500, and a refused scan writes nothing."""
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from spex import ledger
from spex.models import ScanRecord
from spex.scan import grammar
from tests.scan.conftest import balances, entries

# Codes a station really sees, so the machine gets deep into its flows, mixed with anything at all.
REAL_CODES = ["EMP-{operator}", "EMP-{inspector}", "EMP-{shipper}", "{job}", "{job}-10", "{job}-20", "{job}-30",
              "{job}-99", "{bar}", "{bin}", "{fg_bin}", "CMD-DONE", "CMD-CANCEL", "CMD-UNDO", "CMD-SCRAP",
              "CMD-HOLD", "CMD-RELEASE", "CMD-RETURN", "CMD-SHIP-OUT", "CMD-RECEIVE", "CMD-SHIP", "CMD-FG",
              "CMD-SIGN-OUT", "CMD-R-DIM", "CMD-R-VND", "CMD-D-REWORK", "CMD-D-RTV", "FG-1", "VND-X", "DIM"]

quantities = st.one_of(
    st.integers(min_value=-5, max_value=200).map(str),
    st.decimals(min_value=0, max_value=300, places=3, allow_nan=False).map(str),
    st.sampled_from(["0", "00", "1e3", "-1", "9" * 25, "1.0000001", ".5", "NaN", "Infinity", "1,5"]),
)
noise = st.text(max_size=60)  # any unicode, control characters, NUL, RTL marks...
scanner_noise = st.tuples(st.sampled_from(["", "]C0", "]d2", " ", "\t"]), st.sampled_from(["", "\r", "\n", "\r\n", "\t"]))


@st.composite
def scans(draw):
    kind = draw(st.sampled_from(["real", "real", "quantity", "noise"]))
    if kind == "real":
        code = draw(st.sampled_from(REAL_CODES))
    elif kind == "quantity":
        code = draw(quantities)
    else:
        code = draw(noise)
    before, after = draw(scanner_noise)
    return before + code + after, draw(st.booleans()) and kind == "real"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(sequence=st.lists(scans(), min_size=1, max_size=14))
def test_any_scans_never_500_and_refusals_write_nothing(scan, shop, session, sequence):
    names = {"operator": shop.operator.badge, "inspector": shop.inspector.badge, "shipper": shop.shipper.badge,
             "job": shop.job.barcode, "bar": shop.lot.units[0].barcode, "bin": shop.rack.barcode,
             "fg_bin": shop.fg_bin.barcode}
    for raw, lower in sequence:
        code = raw
        for name, value in names.items():
            code = code.replace("{" + name + "}", value)
        if lower:
            code = code.lower()
        before_entries, before_balances = entries(session), balances(session)
        records = session.scalar(select(func.count(ScanRecord.id)))
        answer = scan(code)  # the helper itself fails on any status but 200/204/403/422
        if answer.status == 204:  # nothing was scanned: nothing answered, nothing recorded
            assert not grammar.clean(code) and answer.html == ""
            assert entries(session) == before_entries and session.scalar(select(func.count(ScanRecord.id))) == records
            continue
        assert answer.outcome in ("done", "waiting", "refused", "signed_out")
        if answer.outcome == "refused":
            assert answer.status == 422
            assert entries(session) == before_entries and balances(session) == before_balances
        elif answer.outcome == "waiting":
            assert balances(session) == before_balances
    assert ledger.audit(session) == []
