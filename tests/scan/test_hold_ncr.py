"""A hold placed at the station names the non-conformance report it opened, so the operator can tell
the inspector which report to open."""
from sqlalchemy import select

from spex import codes
from spex.models import NonConformance
from tests.scan.test_flows import at_hold_reason, desk  # noqa: F401  (the station fixture, shared)


def test_the_hold_answer_names_its_ncr(desk, shop, session, make):
    at_hold_reason(desk, shop, session, make)
    answer = desk("CMD-R-MAT")
    ncr = session.scalars(select(NonConformance)).one()
    assert answer.detail == f"{ncr.number} opened, reason: {codes.HOLD_REASONS['MAT']}. An inspector releases it."
    assert ncr.number.startswith(codes.NCR_PREFIX) and ncr.quantity == 10
