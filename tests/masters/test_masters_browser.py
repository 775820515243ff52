"""A planner in Chromium: signs in, filters the materials list while typing, renames a bin."""
import pytest
from playwright.sync_api import expect

from spex import codes

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make):
    make.material(code="303-RD-1.000", grade="303 stainless")
    make.material(code="316-RD-0.750", grade="316 stainless", size="0.750 dia")
    make.material(code="6061-RD-2.000", grade="6061-T6 aluminum", size="2.000 dia")
    area = make.location(code="AREA-BAR", kind="area", name="Bar stock")
    rack = make.location(code="R2", kind="rack", parent=area, name="Rack 2")
    make.location(code="R2-A03", kind="bin", parent=rack, name="Rack 2 bin A03")
    planner = make.user(codes.PLANNER, username="pat.planner", name="Pat Planner")
    make.commit()
    return planner


def _sign_in(page, live_server):
    page.goto(live_server.url + "/masters/materials")
    expect(page).to_have_url(live_server.url + "/login?next=%2Fmasters%2Fmaterials")
    page.get_by_label("User name").fill("pat.planner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Materials")).to_be_visible()


def test_search_filters_the_materials_as_you_type(page, live_server, shop):
    _sign_in(page, live_server)
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_placeholder("Type to filter materials").click()
    page.keyboard.type("316", delay=60)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("316-RD-0.750")
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the rows; no page load
    expect(page).to_have_url(live_server.url + "/masters/materials?q=316")
    page.keyboard.press("Control+A")
    page.keyboard.type("alum", delay=60)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("6061-RD-2.000")
    page.keyboard.press("Control+A")
    page.keyboard.type("nothing like it", delay=20)
    expect(page.locator("#rows")).to_contain_text("Nothing found.")


def test_rename_a_bin(page, live_server, shop):
    _sign_in(page, live_server)
    page.goto(live_server.url + "/masters/locations")
    row = page.locator("#rows tr", has_text="R2-A03")
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Location R2-A03")).to_be_visible()
    name = page.locator("form.master-form").get_by_label("Name")
    expect(name).to_have_value("Rack 2 bin A03")
    name.fill("Rack 2 bin A03 (remnants)")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(live_server.url + "/masters/locations")
    expect(page.locator("#rows tr", has_text="R2-A03")).to_contain_text("Rack 2 bin A03 (remnants)")
    expect(page.locator(".flash")).to_contain_text("Location saved.")


def test_a_refused_field_is_marked_in_place(page, live_server, shop):
    _sign_in(page, live_server)
    page.goto(live_server.url + "/masters/materials/new")
    form = page.locator("form.master-form")
    form.get_by_label("Code").fill("303-RD-1.000")
    form.get_by_label("Grade").fill("303 stainless")
    form.get_by_label("Lead time (days)").fill("ten")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-code-msg")).to_have_text("That code is already used.")
    expect(page.locator("#f-lead_time_days-msg")).to_have_text("Enter a whole number, such as 12.")
    expect(page.locator("form.master-form").get_by_label("Grade")).to_have_value("303 stainless")


def test_reorder_and_remove_routing_steps_in_place(page, live_server, shop, make):
    part = make.part(ops=("lathe", "mill"), number="BUSH-100")
    make.commit()
    _sign_in(page, live_server)
    page.goto(live_server.url + f"/masters/parts/{part.id}")
    steps = page.locator("#routing tbody tr")
    expect(steps.nth(0)).to_contain_text("Lathe")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Move operation 10 down").click()
    expect(steps.nth(0)).to_contain_text("Mill")
    expect(steps.nth(1)).to_contain_text("Lathe")
    page.once("dialog", lambda dialog: dialog.accept())
    steps.nth(0).get_by_role("button", name="Remove").click()
    expect(steps).to_have_count(1)
    expect(steps.first).to_contain_text("Lathe")
    assert page.evaluate("window.stillTheSamePage") is True


def test_deactivate_from_the_list_in_place(page, live_server, shop):
    _sign_in(page, live_server)
    row = page.locator("#rows tr", has_text="316-RD-0.750")
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_have_class("inactive")
    row.get_by_role("button", name="Reactivate").click()
    expect(row).not_to_have_class("inactive")
