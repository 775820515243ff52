"""Engineering figures keep the places the trade quotes them to: a density typed as 0.0975 lb/in³ is
0.0975, not 0.098, and a figure typed finer than it is kept is refused with a message, not rounded."""
from decimal import Decimal

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from spex import MIGRATIONS_DIR
from spex.extensions import db
from spex.metrics.material import weight_per_unit_lb
from spex.models import Material, Part

from masters_forms import row_counts, valid_form


def _material(code):
    db.session.expire_all()
    return db.session.scalar(select(Material).where(Material.code == code))


def test_a_density_of_four_places_is_kept_as_typed(client, admin, linked):
    form = valid_form("materials", "AL", linked) | {"grade": "6061-T6 aluminum", "density_lb_per_in3": "0.0975",
                                                    "diameter_in": "0.0625"}
    assert client.post("/masters/materials/new", data=form).status_code == 302
    material = _material("303-AL")
    assert material.density_lb_per_in3 == Decimal("0.0975")
    assert material.diameter_in == Decimal("0.0625")  # 1/16 in, exact
    page = client.get(f"/masters/materials/{material.id}").get_data(as_text=True)
    assert 'value="0.0975"' in page
    # A 1.000 in round bar of 6061: π/4 × 0.0975 = 0.0766 lb per inch (0.0770 from a rounded 0.098).
    material.diameter_in = Decimal("1")
    assert round(weight_per_unit_lb(material), 4) == Decimal("0.0766")


def test_a_small_parts_weight_keeps_its_ten_thousandths(client, admin, linked):
    form = valid_form("parts", "TINY", linked) | {"finished_weight_lb": "0.0044"}
    assert client.post("/masters/parts/new", data=form).status_code == 302
    db.session.expire_all()
    part = db.session.scalar(select(Part).where(Part.number == "P-TINY"))
    assert part.finished_weight_lb == Decimal("0.0044")


def test_a_figure_finer_than_kept_is_refused_not_rounded(client, admin, linked):
    before = row_counts()
    for field, value, message in (
            ("density_lb_per_in3", "0.09755", "Density is kept to 4 decimal places; 0.09755 has 5."),
            ("diameter_in", "0.03125", "Diameter is kept to 4 decimal places; 0.03125 has 5."),
            ("unit_cost", "4.5055", "Cost per unit is kept to 3 decimal places; 4.5055 has 4."),
            ("typical_bar_length_in", "144.0001", "Typical bar length is kept to 3 decimal places; 144.0001 has 4.")):
        form = valid_form("materials", "FINE", linked) | {field: value}
        response = client.post("/masters/materials/new", data=form)
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True)
        assert row_counts() == before
    # Trailing zeros say nothing finer: 0.09750 is 0.0975.
    form = valid_form("materials", "ZEROS", linked) | {"density_lb_per_in3": "0.09750"}
    assert client.post("/masters/materials/new", data=form).status_code == 302
    assert _material("303-ZEROS").density_lb_per_in3 == Decimal("0.0975")


def test_the_migration_keeps_every_stored_figure(app, session):
    """Figures saved as thousandths read the same after the upgrade, and after going back down."""
    downgrade(directory=MIGRATIONS_DIR, revision="0001_initial")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO materials (id, code, grade, family, form, size, diameter_in, unit, "
                          "density_lb_per_in3, stocking, lead_time_days, active) VALUES "
                          "(1, 'AL-1', '6061-T6', 'aluminum', 'round bar', '1.000 dia', 1250, 'in', 98, "
                          "'stocked', 10, true)"))
        conn.execute(text("INSERT INTO customers (id, code, name, active) VALUES (1, 'C', 'C', true)"))
        conn.execute(text("INSERT INTO parts (id, customer_id, number, rev, description, material_id, "
                          "bar_length_per_piece, finished_weight_lb, active) VALUES "
                          "(1, 1, 'P-1', 'A', '', 1, 1375, 120, true)"))
    upgrade(directory=MIGRATIONS_DIR, revision="heads")
    session.expire_all()
    material, part = session.get(Material, 1), session.get(Part, 1)
    assert (material.density_lb_per_in3, material.diameter_in) == (Decimal("0.0980"), Decimal("1.2500"))
    assert (part.finished_weight_lb, part.bar_length_per_piece) == (Decimal("0.1200"), Decimal("1.375"))
    material.density_lb_per_in3 = Decimal("0.0975")
    session.commit()
    session.remove()
    downgrade(directory=MIGRATIONS_DIR, revision="0001_initial")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT density_lb_per_in3, diameter_in FROM materials")).one() == (98, 1250)
    upgrade(directory=MIGRATIONS_DIR, revision="heads")
