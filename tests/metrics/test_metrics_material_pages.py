"""Metrics › Material at a shop of many materials: reorder suggestions 50 a page in material code
order, a search by code or grade, previous/next links (and their htmx fragments) that keep the
period and service level, and a CSV that still holds every material."""
import csv
import io
import re

import pytest

from spex import codes


@pytest.fixture
def materials(make):
    """120 materials: codes R000–R119, every third of them 6061 aluminium, the rest 303 stainless."""
    made = [make.material(code=f"R{n:03d}-RD", grade="6061-T6 aluminium" if n % 3 == 0 else "303 stainless")
            for n in reversed(range(120))]  # made out of order: the page sorts by code
    make.commit()
    return sorted(m.code for m in made)


def _shown(html: str) -> list[str]:
    return re.findall(r'<tr data-material="([^"]+)"', html)


def _get(client, url, **kw):
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_page_one_shows_the_first_fifty_in_code_order(client, login_as, materials):
    login_as(codes.PLANNER)
    html = _get(client, "/metrics/material")
    assert _shown(html) == materials[:50]
    assert "120 of 120 materials · page 1 of 3" in html
    assert 'href="/metrics/material?page=2" hx-get="/metrics/material?page=2"' in html
    assert 'rel="prev"' not in html


def test_page_two_shows_the_next_fifty_and_leads_both_ways(client, login_as, materials):
    login_as(codes.PLANNER)
    html = _get(client, "/metrics/material?page=2")
    assert _shown(html) == materials[50:100]
    assert 'href="/metrics/material?page=1"' in html and 'href="/metrics/material?page=3"' in html
    last = _get(client, "/metrics/material?page=3")
    assert _shown(last) == materials[100:] and 'rel="next"' not in last
    # A page past the end, or one that is not a number, shows a page rather than an error.
    assert _shown(_get(client, "/metrics/material?page=99")) == materials[100:]
    assert _shown(_get(client, "/metrics/material?page=abc")) == materials[:50]


def test_search_by_grade_or_code_narrows_the_list(client, login_as, materials):
    login_as(codes.PLANNER)
    aluminium = [code for code in materials if int(code[1:4]) % 3 == 0]
    html = _get(client, "/metrics/material?q=6061")
    assert _shown(html) == aluminium[:40] and "40 of 120 materials for “6061”" in html
    assert _shown(_get(client, "/metrics/material?q=r11")) == [f"R11{n}-RD" for n in range(10)]
    nothing = _get(client, "/metrics/material?q=Inconel")
    assert _shown(nothing) == [] and "No material's code or grade holds “Inconel”." in nothing


def test_paging_keeps_the_search_and_the_service_level(client, login_as, materials):
    login_as(codes.PLANNER)
    html = _get(client, "/metrics/material?q=303&service=99")
    assert _shown(html) == [code for code in materials if int(code[1:4]) % 3][:50]
    assert 'href="/metrics/material?service=99&amp;q=303&amp;page=2"' in html
    assert "at 99 % service" in _get(client, "/metrics/material?service=99&q=303&page=2")


def test_a_page_turn_by_htmx_gets_only_the_rows(client, login_as, materials):
    login_as(codes.PLANNER)
    response = client.get("/metrics/material?page=2",
                          headers={"HX-Request": "true", "HX-Target": "reorder-lines"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Buy now" not in html
    assert _shown(html) == materials[50:100]


def test_csv_holds_every_material_whatever_the_page(client, login_as, materials):
    login_as(codes.PLANNER)
    page = _get(client, "/metrics/material?page=3&q=6061")
    assert 'href="/metrics/material/reorder.csv"' in page and "Download CSV (all 120)" in page
    response = client.get("/metrics/material/reorder.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["material", "description", "stocking", "ABC"]
    assert [row[0] for row in rows[1:]] == materials


def test_csv_with_a_bad_service_level_says_why(client, login_as, materials):
    login_as(codes.PLANNER)
    response = client.get("/metrics/material/reorder.csv?service=150")
    assert response.status_code == 422
    assert "A service level of 150 % is not possible" in response.get_data(as_text=True)
