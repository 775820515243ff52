"""The demo shop: realistic, complete, consistent with its ledger, and the same every time."""
from collections import Counter

from sqlalchemy import func, select

from spex import codes, demo, ledger, shoptime
from spex.models import (Job, LedgerEntry, Location, Material, MaterialLot, OrderLine, OutsideShipment, Part,
                         QualityHold, Station, User)

from tests.conftest import SHOP_NOW

TODAY = SHOP_NOW.date()  # the day the demo_shop fixture builds the shop for


def fingerprint(session):
    return sorted((j.number, j.status, j.quantity, str(j.due_date), tuple((o.seq, o.qty_good, o.qty_scrap)
                   for o in j.operations)) for j in session.scalars(select(Job)))


def test_demo_shop_has_every_noun_and_stage(session, demo_shop):
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Material) >= 12
    grades = set(session.scalars(select(Material.grade)))
    assert {"303 stainless", "316 stainless", "6061-T6 aluminum", "7075-T6 aluminum", "C360 brass", "1018 steel",
            "4140 steel", "Inconel 718"} <= grades
    assert set(session.scalars(select(Material.form))) >= {"round bar", "plate"}
    assert session.scalar(select(func.count(Location.id)).where(Location.kind.in_(("bin", "cart", "fg")))) >= 40
    assert count(Part) == 20 and count(Station) == 3
    assert all(lot.heat_number for lot in session.scalars(select(MaterialLot)))
    assert set(session.scalars(select(OrderLine.strategy))) == {"ship_complete", "scheduled", "blanket"}
    assert {u.role for u in session.scalars(select(User))} == set(codes.ROLES)
    assert session.scalar(select(User).where(User.badge == "0042")).role == codes.OPERATOR

    jobs = session.scalars(select(Job)).all()
    assert len(jobs) == 30
    statuses = Counter(j.status for j in jobs)
    assert statuses["planned"] and statuses["released"] and statuses["complete"]
    partial = [j for j in jobs if any(0 < o.qty_good < j.quantity for o in j.operations)]
    assert partial, "some job is mid-routing with partial quantities"
    assert session.scalar(select(func.count(QualityHold.id)).where(QualityHold.released_at.is_(None))) >= 1
    out = session.scalars(select(OutsideShipment).where(OutsideShipment.closed.is_(False))).all()
    assert out and any(s.expected_back < TODAY for s in out), "a job is overdue at a vendor"
    assert any(j.due_date < TODAY and j.status == "released" for j in jobs), "a job is late"
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == ledger.SHIP)) >= 1
    # Every movement of the history went through the ledger: balances equal its sums, none negative.
    assert ledger.audit(session) == []


def test_demo_shop_is_deterministic(app, session, demo_shop, tmp_path):
    first = fingerprint(session)
    from spex import create_app
    from spex.cli import upgrade_schema
    from spex.extensions import db
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'again.db'}"})
    with other.app_context():
        upgrade_schema()
        demo.seed(db.session, today=TODAY)
        db.session.commit()
        assert fingerprint(db.session) == first
        db.session.remove()
        db.engine.dispose()


def test_demo_command_fills_an_empty_database_once(runner, session):
    result = runner.invoke(args=["spex", "demo"])
    assert result.exit_code == 0, result.output
    assert "30 jobs" in result.output
    again = runner.invoke(args=["spex", "demo"])
    assert "already has data" in again.output
    assert session.scalar(select(func.count(Job.id))) == 30


def test_demo_history_happens_in_the_shops_working_day(app, session):
    """The demo's history is set on the shop's clock: a shop in Chicago sees its scans during its own
    day, not at the hours a UTC day would give (03:00 to 11:00 in Chicago)."""
    app.config["SPEX_TIMEZONE"] = "America/Chicago"
    demo.seed(session, today=TODAY)
    session.commit()
    hours = {shoptime.local(moment).hour for moment in session.scalars(select(LedgerEntry.created_at))}
    assert hours and min(hours) >= 6 and max(hours) <= 22, sorted(hours)
