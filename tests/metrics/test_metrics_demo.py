"""Metrics room on the demo shop: every page renders, and the figures hang together."""
from datetime import timedelta

from sqlalchemy import select

from spex import demo, production, shoptime
from spex.metrics.material import material_needs, on_hand_by_material
from spex.models import Material


def test_every_metrics_page_renders_on_the_demo_shop(session, demo_shop, client):
    signed_in = client.post("/login", data={"username": "planner", "password": demo.DEMO_PASSWORD})
    assert signed_in.status_code == 302
    half_year_ago = (shoptime.today() - timedelta(days=180)).isoformat()
    for url in ("/metrics/", "/metrics/material", f"/metrics/?start={half_year_ago}",
                "/metrics/material?service=99.5", f"/metrics/material?service=90&start={half_year_ago}"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:2000])
        page = response.get_data(as_text=True)
        assert ("<svg" in page) if "material" not in url else ("Reorder suggestions" in page)


def test_grouped_on_hand_equals_the_per_material_figure(session, demo_shop):
    grouped = on_hand_by_material(session)
    for material in session.scalars(select(Material)):
        assert grouped.get(material.id, 0) == production.material_on_hand(session, material.id)
    assert any(need.jobs for need in material_needs(session))
