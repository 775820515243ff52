"""In Chromium: a planner sets a material's limits and ticks 'Mill cert required' on its master page;
the page's History says who changed what. With SPEX_SCREENSHOTS=1 the screenshot goes to docs/img/."""
from __future__ import annotations

import os
from pathlib import Path

from spex import codes

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_limits_and_history_on_the_material_page(make, session, live_server, page, sign_in, tmp_path):
    material = make.material(code="303-RD-1.000")
    planner = make.user(codes.PLANNER, name="Pat Planner")
    make.commit()
    sign_in(page, live_server, planner, f"/masters/materials/{material.id}")
    page.check("input[name=cert_required]")
    page.click("form.master-form button.btn-primary")
    page.goto(f"{live_server.url}/masters/materials/{material.id}")
    page.select_option("select[name=prop_0]", "Cr")
    page.fill("input[name=min_0]", "17")
    page.fill("input[name=max_0]", "19")
    page.select_option("select[name=prop_1]", "yield")
    page.fill("input[name=min_1]", "205")
    page.click("#limits button.btn-primary")
    page.wait_for_selector("text=Limits saved (2 changed)")
    history = page.inner_text("#history")
    assert "Limit Cr: — → 17.0–19.0 %" in history and "Mill cert required: no → yes" in history
    assert "Pat Planner" in history
    out = DOCS_IMG if os.environ.get("SPEX_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "material-limits.png"), full_page=True)
