"""A lot on receiving hold at the station: the pull is refused with the hold's reason and writes
nothing; once an inspector releases the lot the same pull goes through."""
from __future__ import annotations

from decimal import Decimal

from spex import codes
from spex.materials import millcerts
from spex.models import MaterialLimit
from tests.scan.conftest import entries


def test_a_held_lots_bar_is_refused_at_the_station_until_released(scan, shop, session):
    material = shop.lot.material
    material.limits = [MaterialLimit(property="Cr", minimum=Decimal("17"), maximum=Decimal("18"))]
    _, hold = millcerts.enter_cert(session, shop.lot, millcerts.CertFigures("3.1", "ASTM A582", "303", "H4711",
                                                                            {"Cr": Decimal("19.5")}))
    session.commit()
    bar = shop.lot.units[0]
    before = entries(session)
    answers = scan.all(shop.operator.barcode, bar.barcode, shop.job.barcode, "40")
    refused = answers[-1]
    assert refused.status == 422 and refused.outcome == "refused"
    assert (f"Lot LOT-{shop.lot.number} is on receiving hold: Cr 19.5 % above 18.0 % max — an inspector must "
            "release it") in refused.html
    assert entries(session) == before
    millcerts.release(session, shop.lot, shop.inspector, "Concession CC-7 from the customer")
    session.commit()
    answers = scan.all(bar.barcode, shop.job.barcode, "40")
    assert answers[-1].outcome == "done" and f"Pulled 40 in of {bar.barcode}" in answers[-1].headline
    assert entries(session) == before + 1
