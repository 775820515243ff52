"""Pages as people see them on the screens the shop has: an office laptop at 1366x768 and a tablet
at 1024x768 at a machine. Each test here failed before its fix: a top bar on two lines, a form
control spilling over its neighbour, a board with no room for its operations, a station page wider
than the tablet."""
from __future__ import annotations

import pytest

from spex import codes
from spex.auth import STATION_COOKIE

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def _page_width(page):
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def test_admin_top_bar_stays_one_line_on_a_laptop(make, live_server, screen, sign_in):
    # The admin sees every link; on two lines the bar took a sixth of a 768-high screen.
    admin = make.user(codes.ADMIN, name="Alexandra Morgan-Whitfield")
    make.commit()
    page = screen(LAPTOP)
    sign_in(page, live_server, admin)
    assert page.locator(".mainnav a").count() >= 7  # every room
    assert _box(page, ".topbar")["height"] < 70
    assert _box(page, ".whoami")["y"] < 20


def test_receive_form_controls_stay_inside_their_cells(make, live_server, screen, sign_in):
    # A material's long name made its select wider than its grid cell, over the heat number box.
    make.material(grade="Inconel 718 aged per AMS 5663", size="2.500 in dia x 144 in random length mill finish")
    make.location(code="R1-A01")
    handler = make.user(codes.MATERIAL_HANDLER)
    make.commit()
    page = screen(LAPTOP)
    sign_in(page, live_server, handler, "/receive/")
    cells = page.locator(".form-grid > label")
    assert cells.count() >= 8
    for i in range(cells.count()):
        cell = cells.nth(i).bounding_box()
        control = cells.nth(i).locator("input, select").first.bounding_box()
        assert control["x"] + control["width"] <= cell["x"] + cell["width"] + 1, cells.nth(i).inner_text()
    scroll_width, client_width = _page_width(page)
    assert scroll_width <= client_width


@pytest.mark.parametrize("size, strip_width", [(LAPTOP, 250), (TABLET, 180)])
def test_office_board_on_a_laptop_or_tablet_leaves_room_for_the_operations(make, live_server, screen, sign_in, size,
                                                                           strip_width):
    # The wall's fixed columns (made for 1920) left the operations strip a few pixels at 1366 and none at 1024.
    planner = make.user(codes.PLANNER)
    job = make.job(make.part(ops=("lathe", "mill", "deburr"), outside=("anodize",)), quantity=50)
    make.commit()
    page = screen(size)
    sign_in(page, live_server, planner, "/board")
    strip = _box(page, f'[data-job="{job.number}"] .bj-ops')
    assert strip["width"] >= strip_width
    ops = page.locator(f'[data-job="{job.number}"] .op')
    assert ops.count() == 4
    assert all(ops.nth(i).bounding_box()["width"] >= 40 for i in range(4))
    scroll_width, client_width = _page_width(page)
    assert scroll_width <= client_width


def test_station_page_fits_a_tablet(make, live_server, screen):
    # The side panel's CoC upload ("No file chosen") pushed the page wider than a 1024 tablet.
    station = make.station()
    make.commit()
    page = screen(TABLET)
    page.context.add_cookies([{"name": STATION_COOKIE, "value": station.token, "url": live_server.url}])
    page.goto(f"{live_server.url}/station")
    page.wait_for_selector("#scan-input:focus")
    scroll_width, client_width = _page_width(page)
    assert scroll_width <= client_width
    side = _box(page, ".scan-side")
    assert side["x"] + side["width"] <= TABLET["width"]
    scan_box = _box(page, "#scan-input")
    assert scan_box["width"] >= 300 and scan_box["y"] + scan_box["height"] < TABLET["height"] / 2


def test_job_page_fits_a_tablet(make, live_server, screen, sign_in):
    # The operations table (eleven columns) pushed the whole job page sideways at 1024.
    operator = make.user(codes.OPERATOR)
    job = make.job(make.part(ops=("lathe", "mill", "deburr"), outside=("anodize",)), quantity=50)
    make.commit()
    page = screen(TABLET)
    sign_in(page, live_server, operator, f"/jobs/{job.number}")
    scroll_width, client_width = _page_width(page)
    assert scroll_width <= client_width
    assert page.locator("#op-10").is_visible()
