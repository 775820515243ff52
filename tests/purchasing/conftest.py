"""Builders for purchasing tests: a material supplier, a bar material bought by the 144 in bar, a PO."""
from datetime import date
from decimal import Decimal

import pytest

from spex.models import Vendor
from spex.purchasing.orders import LineRequest, create_draft, send_po


class Buying:
    def __init__(self, make, session):
        self.make, self.session = make, session

    def supplier(self, code="ATLAS", name="Atlas Metals") -> Vendor:
        vendor = Vendor(code=code, name=name, process=None, turnaround_days=0, contact="sales@atlas.example")
        self.session.add(vendor)
        self.session.flush()
        return vendor

    def bar(self, supplier=None, *, stocking="stocked", grade="6061-T6", size="1.000 dia", **kw):
        material = self.make.material(grade=grade, size=size, typical_bar_length_in=Decimal("144"),
                                      supplier_id=supplier.id if supplier else None, **kw)
        material.stocking = stocking
        self.session.flush()
        return material

    def po(self, supplier, lines, *, send=True):
        """lines: (material, bars, due date) — bars of 144 in."""
        po = create_draft(self.session, supplier, [LineRequest(material=m, count=Decimal(n), due_date=due,
                                                               price=Decimal("61.20")) for m, n, due in lines])
        if send:
            send_po(self.session, po)
        self.session.flush()
        return po


@pytest.fixture
def buying(make, session):
    return Buying(make, session)


DUE = date(2026, 12, 3)  # a Thursday, six working days after the tests' Wednesday 25 Nov 2026
