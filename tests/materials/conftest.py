"""Material-in tests' set-up: a lot of two bars of a job's material, one bar pulled (the lot is used)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from spex import codes, shopfloor


@pytest.fixture
def used_lot(session, make):
    """Lot of heat H4711, one bar pulled 30 in to a job: after its first movement."""
    operator = make.user(codes.OPERATOR)
    material = make.material(code="303-RD-1.000")
    other = make.material(code="304-RD-1.000", grade="304 stainless")
    job = make.job(make.part(material=material), quantity=20)
    lot = make.lot(material=material, heat="H4711")
    shopfloor.pull_material(session, lot.units[0], job, 30, user=operator)
    make.commit()
    return SimpleNamespace(lot=lot, job=job, material=material, other=other, operator=operator)
