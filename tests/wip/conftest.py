"""WIP tests' helpers: jobs in every stage, built through the shop-floor functions like a real day."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from spex import codes, shopfloor, shoptime


class Floor:
    """People who do the work, and jobs brought to a given stage with the real domain functions."""

    def __init__(self, make):
        self.make = make
        self.session = make.session
        self.operator = make.user(codes.OPERATOR)
        self.inspector = make.user(codes.INSPECTOR)
        self.shipping = make.user(codes.SHIPPING)

    def complete(self, job, seq, good):
        return shopfloor.complete_operation(self.session, self.op(job, seq), good, user=self.operator)

    def scrap(self, job, seq, quantity, reason="DIM"):
        return shopfloor.scrap_pieces(self.session, self.op(job, seq), quantity, reason, user=self.operator)

    def hold(self, job, seq, quantity, reason="DIM"):
        return shopfloor.place_hold(self.session, self.op(job, seq), quantity, reason, user=self.inspector)

    def ship_out(self, job, seq, quantity, expected_back=None):
        return shopfloor.ship_out(self.session, self.op(job, seq), quantity, user=self.shipping,
                                  expected_back=expected_back)

    @staticmethod
    def op(job, seq):
        return next(o for o in job.operations if o.seq == seq)


@pytest.fixture
def floor(make):
    return Floor(make)


def due(days: int) -> date:
    return shoptime.today() + timedelta(days=days)
