"""Masters tests' fixtures: the records master forms point at, and a signed-in administrator."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from spex import codes


@pytest.fixture
def linked(make):
    """What master forms choose from: a customer, a material, an area > rack, a bin, a work center."""
    area = make.location(code="AREA-1", kind="area", name="Bar racks")
    rack = make.location(code="R1", kind="rack", parent=area, name="Rack 1")
    bin_ = make.location(code="R1-A01", kind="bin", parent=rack, name="Rack 1 bin A01")
    records = SimpleNamespace(customer=make.customer(code="ACME"), material=make.material(code="303-RD-1.000"),
                              area=area, rack=rack, bin=bin_, work_center=make.work_center(code="LATHE-1"))
    make.commit()
    return records


@pytest.fixture
def admin(login_as):
    return login_as(codes.ADMIN)
