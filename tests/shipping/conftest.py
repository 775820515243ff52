"""Shipping tests' helpers: finished-goods lots made the real way (bar pulled, operations done, pieces
put away) and customer orders to ship them against."""
from __future__ import annotations

from datetime import timedelta

import pytest

from spex import codes, ledger, shopfloor, shoptime
from spex.models import CustomerOrder, OrderLine, Release


class Shop:
    def __init__(self, make):
        self.make = make
        self.session = make.session
        self.operator = make.user(codes.OPERATOR)
        self.inspector = make.user(codes.INSPECTOR)
        self.shipping = make.user(codes.SHIPPING)
        self.rack = make.location(kind="bin")
        self.fg_bin = make.location(kind="fg")

    def bar(self, part, heat, length=144):
        return self.make.lot(material=part.material, bin=self.rack, lengths=[length], heat=heat).units[0]

    def make_pieces(self, part, pieces, *, bars=(), extra=0):
        """A job of `pieces` (+ extra left waiting at its last op), fed from the given (bar, inches) pulls,
        every operation done; returns the job with its finished pieces waiting for CMD-FG."""
        job = self.make.job(part, quantity=pieces + extra)
        for bar, inches in bars:
            shopfloor.pull_material(self.session, bar, job, inches, user=self.operator)
        for op in job.operations:
            shopfloor.complete_operation(self.session, op, pieces, user=self.operator)
        return job

    def through_routing(self, job, pieces, *, coc=None):
        """Every operation of the job done the way the floor does it: in-house ones completed (an
        inspection op by the inspector), outside ones shipped out and received back with `coc`."""
        for op in job.operations:
            if op.is_outside:
                shopfloor.ship_out(self.session, op, pieces, user=self.shipping)
                shopfloor.receive_back(self.session, op, pieces, user=self.shipping, coc_filename=coc)
            else:
                who = self.inspector if op.work_center.kind == "inspection" else self.operator
                shopfloor.complete_operation(self.session, op, pieces, user=who)
        return shopfloor.receive_finished_goods(self.session, job, pieces, self.fg_bin, user=self.inspector)

    def finished_lot(self, part, pieces, heat="H100", *, bar=None, inches=20):
        bar = bar or self.bar(part, heat)
        job = self.make_pieces(part, pieces, bars=[(bar, inches)])
        return shopfloor.receive_finished_goods(self.session, job, pieces, self.fg_bin, user=self.inspector)

    def order(self, part, quantity, *, strategy="ship_complete", releases=(), po="PO-4471"):
        order = CustomerOrder(number=f"SO-{self.make._next() + 5200}", customer_id=part.customer_id, po_number=po,
                              order_date=shoptime.today())
        line = OrderLine(order=order, line_no=1, part_id=part.id, quantity=quantity, strategy=strategy,
                         due_date=shoptime.today() + timedelta(days=3))
        for k, amount in enumerate(releases):
            line.releases.append(Release(kind="release", quantity=amount,
                                         due_date=shoptime.today() + timedelta(days=7 * k)))
        self.session.add(order)
        self.session.flush()
        return line

    def on_hand(self, fg_lot) -> int:
        return shopfloor.fg_location(self.session, fg_lot)[1]

    @staticmethod
    def audit_clean(session):
        return ledger.audit(session) == []


@pytest.fixture
def shop(make):
    return Shop(make)


@pytest.fixture
def part(make):
    return make.part(ops=("lathe",), number="PN-2207")
