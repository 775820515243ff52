"""Links between rooms, where a person looks for them: the job page to its traveler and FG labels,
the planner's job list to the job page and traveler, the read-only bar/lot/FG/bin pages to their
label in the label station. Print links are offered only to roles that may print, and every link
a page offers opens (no 403, no 404)."""
import re

import pytest

from spex import codes, shopfloor


def _links(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)}


def _opens(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def shop(make, session):
    """A one-operation job with its bar pulled and 5 pieces put away as an FG lot; a second job with none."""
    part = make.part(ops=("lathe",))
    lot = make.lot(material=part.material, heat="H-LINKS")
    operator = make.user(codes.OPERATOR)
    shipping = make.user(codes.SHIPPING)
    job = make.job(part, quantity=10)
    shopfloor.pull_material(session, lot.units[0], job, 20, user=operator)
    shopfloor.complete_operation(session, job.operations[0], 5, user=operator)
    fg_bin = make.location(code="FG-A01", kind="fg")
    fg = shopfloor.receive_finished_goods(session, job, 5, fg_bin, user=shipping)
    bare = make.job(part, quantity=10)
    make.commit()
    return {"job": job, "bare": bare, "lot": lot, "unit": lot.units[0], "fg": fg, "fg_bin": fg_bin}


def test_job_page_links_to_traveler_pdf_and_fg_labels_for_a_planner(client, login_as, shop):
    login_as(codes.PLANNER)
    job = shop["job"]
    links = _links(_opens(client, f"/jobs/{job.number}"))
    assert {f"/labels/traveler/{job.number}", f"/labels/traveler/{job.number}.pdf",
            f"/labels/?q=JOB-{job.number}"} <= links
    assert "Job traveler" in _opens(client, f"/labels/traveler/{job.number}")
    assert client.get(f"/labels/traveler/{job.number}.pdf").data.startswith(b"%PDF")
    assert shop["fg"].barcode in _opens(client, f"/labels/?q=JOB-{job.number}")


def test_job_without_finished_goods_offers_no_fg_labels(client, login_as, shop):
    login_as(codes.PLANNER)
    bare = shop["bare"]
    links = _links(_opens(client, f"/jobs/{bare.number}"))
    assert f"/labels/traveler/{bare.number}" in links
    assert not any(link.startswith("/labels/?q=") for link in links)


def test_operator_sees_the_traveler_but_no_print_links(client, login_as, shop):
    login_as(codes.OPERATOR)
    job = shop["job"]
    links = _links(_opens(client, f"/jobs/{job.number}"))
    assert f"/labels/traveler/{job.number}" in links
    assert f"/labels/traveler/{job.number}.pdf" not in links  # the PDF is for roles that print
    assert not any(link.startswith("/labels/?q=") for link in links)
    for page in (f"/units/{shop['unit'].code}", f"/fg/{shop['fg'].code}", f"/bins/{shop['fg_bin'].code}"):
        assert not any(link.startswith("/labels/?q=") for link in _links(_opens(client, page)))


def test_traveler_leads_back_to_the_job_page(client, login_as, shop):
    login_as(codes.OPERATOR)
    job = shop["job"]
    assert f"/jobs/{job.number}" in _links(_opens(client, f"/labels/traveler/{job.number}"))


def test_planning_job_list_links_to_job_page_and_traveler(client, login_as, shop):
    login_as(codes.PLANNER)
    job = shop["job"]
    links = _links(_opens(client, "/plan/jobs"))
    assert {f"/jobs/{job.number}", f"/labels/traveler/{job.number}"} <= links


@pytest.mark.parametrize("role", [codes.MATERIAL_HANDLER, codes.SHIPPING, codes.INSPECTOR, codes.PLANNER])
def test_read_only_pages_link_to_printing_their_label(client, login_as, shop, role):
    login_as(role)
    unit, lot, fg, fg_bin = shop["unit"], shop["lot"], shop["fg"], shop["fg_bin"]
    pages = {
        f"/units/{unit.code}": unit.barcode,
        f"/units/{lot.number}": f"LOT-{lot.number}",
        f"/fg/{fg.code}": fg.barcode,
        f"/bins/{fg_bin.code}": fg_bin.barcode,
    }
    for page, code in pages.items():
        target = f"/labels/?q={code}"
        assert target in _links(_opens(client, page)), page
        station = _opens(client, target)
        assert code in station and 'id="label-form"' in station, target


def test_label_station_offers_the_traveler_of_a_job_with_no_finished_goods_yet(client, login_as, shop):
    # Travelers are printed when a job is released, long before any FG lot exists: scanning the
    # job at the label station must lead to its traveler, not to a red "nothing to print".
    login_as(codes.MATERIAL_HANDLER)
    bare = shop["bare"]
    html = _opens(client, f"/labels/?q=JOB-{bare.number}")
    assert f"/labels/traveler/{bare.number}" in _links(html)
    assert 'id="label-error"' not in html
    fragment = client.get(f"/labels/?q=JOB-{bare.number}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and f"/labels/traveler/{bare.number}" in fragment.get_data(as_text=True)


def test_outside_operation_links_to_its_shipment_tag(client, login_as, make):
    job = make.job(make.part(ops=("lathe",), outside=("anodize",)), quantity=10)
    make.commit()
    login_as(codes.SHIPPING)
    target = f"/labels/?q=JOB-{job.number}-20"
    links = _links(_opens(client, f"/jobs/{job.number}"))
    assert target in links and f"/labels/?q=JOB-{job.number}-10" not in links  # op 10 is in house
    assert "Outside-process tag" in _opens(client, target)


def test_received_lot_links_to_its_bars_bin_and_lot_page(client, login_as, make):
    material = make.material()
    rack = make.location(code="R5-A01")
    make.commit()
    login_as(codes.MATERIAL_HANDLER)
    response = client.post("/receive/", data={"material_id": material.id, "heat_number": "H-LINK-9", "count": "2",
                                              "each": "144", "bin": rack.barcode})
    assert response.status_code == 302
    html = _opens(client, response.headers["Location"])
    number = re.search(r"Received lot (\S+):", html).group(1)
    links = _links(html)
    assert {f"/units/{number}-01", f"/units/{number}-02", f"/bins/{rack.code}", f"/units/{number}",
            f"/labels/?q=LOT-{number}"} <= links
    for link in (f"/units/{number}-01", f"/bins/{rack.code}", f"/units/{number}"):
        assert "H-LINK-9" in _opens(client, link) or rack.barcode in _opens(client, link)


def _top_bar(html: str) -> dict[str, str]:
    """The top bar's rooms as a person reads them: label → address."""
    nav = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S).group(1)
    return {label.strip(): href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


@pytest.mark.parametrize("role", list(codes.ROLES))
def test_every_room_in_the_top_bar_opens_for_its_role(client, login_as, role):
    login_as(role)
    home = _opens(client, "/")
    rooms = _top_bar(home)
    assert {"Home", "Station", "WIP board", "Labels"} <= set(rooms), rooms
    for label, href in rooms.items():
        _opens(client, href)  # a room the bar offers never answers 403 or 404
    # The start page's tiles are the same rooms: each opens too.
    for href in re.findall(r'<a class="tile" href="([^"]+)"', home):
        _opens(client, href)


@pytest.mark.parametrize("role", [codes.PLANNER, codes.ADMIN])
def test_the_office_finds_purchasing_in_the_top_bar(client, login_as, role):
    login_as(role)
    rooms = _top_bar(_opens(client, "/"))
    assert rooms.get("Purchasing") == "/purchasing/"
    page = _opens(client, rooms["Purchasing"])
    assert "Purchase orders" in page and 'aria-current="page">Purchasing<' in page
    assert {"/purchasing/buy"} <= _links(page)  # the buy list opens from there


@pytest.mark.parametrize("role", [codes.OPERATOR, codes.MATERIAL_HANDLER, codes.INSPECTOR, codes.SHIPPING])
def test_the_floor_is_not_offered_purchasing(client, login_as, role):
    login_as(role)
    assert "Purchasing" not in _top_bar(_opens(client, "/"))
    assert client.get("/purchasing/").status_code == 403  # and the server refuses it as well
