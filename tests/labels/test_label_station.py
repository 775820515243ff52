"""The label station on a real database: finding records by scan, batches, every output of every
kind decoding back to the record's code, the print queue, printers that answer and ones that
do not, roles and bad input."""
from __future__ import annotations

import re
import socket
import time

import pytest
from sqlalchemy import func, select

from spex import codes, shopfloor
from spex.labels import LabelError, print_job, queue_label
from spex.labels.records import records_for_codes
from spex.labels.search import find
from spex.labels.render import render_labels
from spex.labels.traveler import build_traveler, render_traveler_pdf
from spex.models import PrintJob

from label_decoding import decode_pdf, decode_png, zpl_code128_data

from tests.conftest import login


# --- finding what to print ----------------------------------------------------------------------

def test_scans_find_their_records_and_batches(shop, session):
    unit = shop.units[1]
    found = find(session, f"  lot-{unit.code.lower()}\r\n")  # as a scanner types it
    assert (found.kind, [r["code"] for r in found.records]) == ("stock_unit", [unit.barcode])
    record = found.records[0]
    assert record["heat"] == "H52311" and record["quantity"] == "144 in"
    assert record["bin"] == shop.bins[0].barcode

    assert find(session, shop.remnant.barcode).kind == "remnant"
    assert find(session, shop.remnant.barcode).records[0]["quantity"] == "12.5 in"

    whole_lot = find(session, f"LOT-{shop.lot.number}")
    assert [r["code"] for r in whole_lot.records] == sorted(u.barcode for u in shop.lot.units)

    rack = find(session, "]C0BIN-R7")  # AIM identifier from the scanner ignored
    assert [r["code"] for r in rack.records] == ["BIN-R7", "BIN-R7-A01", "BIN-R7-A02", "BIN-R7-A03"]
    area = find(session, "BIN-BAR")
    assert len(area.records) == 5

    fg_of_job = find(session, shop.job.barcode)
    assert fg_of_job.kind == "finished_goods" and fg_of_job.job_number == shop.job.number
    fg = fg_of_job.records[0]
    assert (fg["code"], fg["quantity"], fg["heats"]) == (shop.fg.barcode, "20", "H52311")

    tag = find(session, shop.anodize.barcode)
    assert tag.kind == "outside_shipment"
    assert tag.records[0]["vendor_code"].startswith("VND-")
    assert tag.records[0]["quantity"] == "20"

    assert find(session, shop.admin.barcode).records[0]["name"] == "Ada Admin"
    assert find(session, "CMD-DONE").kind == "command_card"
    assert find(session, "h52311").kind == "stock_unit"  # a heat number typed in the search box


@pytest.mark.parametrize("query, message", [
    ("LOT-9999-01", "no stock unit or lot"),
    ("BIN-NOPE", "no bin"),
    ("FG-1", "no finished-goods lot"),
    ("JOB-1", "no job"),
    ("EMP-7777", "no badge"),
    ("VND-ACME", "vendor"),
    ("zzz-nothing", "nothing found"),
    ("", "scan a code"),
])
def test_unknown_codes_get_a_clear_message(shop, session, query, message):
    with pytest.raises(LabelError, match=message):
        find(session, query)


def test_inhouse_operation_points_to_the_traveler(shop, session):
    with pytest.raises(LabelError, match="traveler"):
        find(session, shop.lathe.barcode)


# --- every kind from real records, every output, decoded -----------------------------------------

def station_codes(shop):
    return [
        ("stock_unit", [u.barcode for u in shop.lot.units if u.kind == "bar"]),
        ("remnant", [shop.remnant.barcode]),
        ("bin", [loc.barcode for loc in shop.bins]),
        ("finished_goods", [shop.fg.barcode]),
        ("outside_shipment", [shop.anodize.barcode]),
        ("badge", [shop.admin.barcode]),
        ("command_card", ["CMD"]),
    ]


@pytest.mark.parametrize("dpi", [203, 300])
def test_every_kind_from_database_records_decodes_in_every_output(shop, session, dpi):
    for kind, code_list in station_codes(shop):
        records = records_for_codes(session, kind, code_list)
        for record in records:
            png = decode_png(render_labels(kind, [record], "png", dpi=dpi))
            zpl = zpl_code128_data(render_labels(kind, [record], "zpl", dpi=dpi).decode())
            if kind != "command_card":
                assert record["code"] in png, (kind, record["code"])
                assert record["code"] in zpl
            else:
                assert set(png) == set(zpl) and codes.CMD_DONE in png
        pages = decode_pdf(render_labels(kind, records, "pdf", dpi=dpi))
        assert len(pages) == len(records)
        for record, page in zip(records, pages):
            if kind != "command_card":
                assert record["code"] in page


def test_command_card_codes_are_the_shops_commands():
    from spex.labels.layouts import load_layout, place
    label = place(load_layout("command_card"), {"code": "CMD", "station": "X"})
    known = {value for name, value in vars(codes).items() if name.startswith("CMD_")}
    assert {barcode.data for barcode in label.barcodes()} <= known
    assert len(label.barcodes()) >= 8


# --- the queue and the printer -------------------------------------------------------------------

def test_queue_label_for_another_flow(shop, session):
    job = queue_label(session, "remnant", shop.remnant.barcode.lower(), copies=2,
                      station_id=shop.printer_station.id)
    session.commit()
    assert (job.kind, job.code, job.copies, job.status, job.attempts) == (
        "remnant", shop.remnant.barcode, 2, "queued", 0)


@pytest.mark.parametrize("kind, code, copies, message", [
    ("remnant", "LOT-0000-00", 1, "no remnant LOT-0000-00"),
    ("no_such_label", "LOT-1", 1, "unknown label kind"),
    ("bin", "BIN-R7-A01", 0, "copies"),
    ("bin", "BIN-R7-A01", 10_000, "copies"),
])
def test_queue_label_refuses_and_writes_nothing(shop, session, kind, code, copies, message):
    before = session.scalar(select(func.count(PrintJob.id)))
    with pytest.raises(LabelError, match=message):
        queue_label(session, kind, code, copies=copies)
    assert session.scalar(select(func.count(PrintJob.id))) == before


def test_print_sends_zpl_to_the_printer(shop, session, printer):
    shop.printer_station.printer_port = printer.port
    job = queue_label(session, "stock_unit", shop.units[1].barcode, copies=3, station_id=shop.printer_station.id)
    print_job(session, job)
    session.commit()
    (sent,) = printer.wait_for(1)
    zpl = sent.decode("utf-8")
    assert zpl.startswith("^XA") and "^PQ3" in zpl
    assert zpl_code128_data(zpl) == [shop.units[1].barcode]
    assert sent == render_labels("stock_unit", records_for_codes(session, "stock_unit", [shop.units[1].barcode]),
                                 "zpl", copies=3)
    assert (job.status, job.attempts, job.last_error) == ("sent", 1, None)


def test_printer_switched_off_gives_clear_message_and_stays_queued(shop, session, free_port):
    shop.printer_station.printer_port = free_port()
    job = queue_label(session, "bin", shop.bins[0].barcode, station_id=shop.printer_station.id)
    started = time.monotonic()
    print_job(session, job)
    assert time.monotonic() - started < 4
    assert job.status == "failed" and job.attempts == 1
    assert "cannot be reached" in job.last_error and "127.0.0.1" in job.last_error


def test_printer_that_does_not_answer_times_out_in_seconds(shop, session):
    """A listener whose backlog is full never completes the handshake, like a hung printer."""
    jammed = socket.socket()
    jammed.bind(("127.0.0.1", 0))
    jammed.listen(0)
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue; later connects get no answer
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(jammed.getsockname())
            fillers.append(filler)
        time.sleep(0.1)
        shop.printer_station.printer_port = jammed.getsockname()[1]
        jobs = [queue_label(session, "bin", loc.barcode, station_id=shop.printer_station.id) for loc in shop.bins]
        started = time.monotonic()
        from spex.labels import print_jobs
        print_jobs(session, jobs)
        elapsed = time.monotonic() - started
    finally:
        for filler in fillers:
            filler.close()
        jammed.close()
    assert len(jobs) == 3 and elapsed < 2 * 3, "one 3 s timeout for the whole batch, not one per label (9 s)"
    assert all(job.status == "failed" and job.attempts == 1 for job in jobs)
    assert "did not answer within 3 s" in jobs[0].last_error


def test_print_route_then_retry_when_printer_is_back(shop, client, session, printer, free_port):
    login(client, shop.admin)
    shop.printer_station.printer_port = free_port()
    session.commit()
    form = {"kind": "bin", "code": [shop.bins[0].barcode, shop.bins[1].barcode], "copies": "2",
            "dpi": "203", "station_id": str(shop.printer_station.id)}
    response = client.post("/labels/print", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "cannot be reached" in html and "stay queued" in html
    jobs = session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
    assert [(j.code, j.status, j.attempts) for j in jobs] == [
        (shop.bins[0].barcode, "failed", 1), (shop.bins[1].barcode, "failed", 1)]

    shop.printer_station.printer_port = printer.port  # printer switched back on
    session.commit()
    response = client.post(f"/labels/queue/{jobs[0].id}/retry", headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Sent" in response.get_data(as_text=True)
    (sent,) = printer.wait_for(1)
    assert zpl_code128_data(sent.decode()) == [shop.bins[0].barcode]
    session.expire_all()
    assert (jobs[0].status, jobs[0].attempts) == ("sent", 2)

    response = client.post("/labels/print", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    received = printer.wait_for(2)
    assert len(received) == 2, "the batch goes to the printer in one connection"
    assert zpl_code128_data(received[1].decode()) == sorted([shop.bins[0].barcode, shop.bins[1].barcode])
    assert received[1].decode().count("^PQ2") == 2


# --- the page: roles and bad input ---------------------------------------------------------------

def test_operator_may_look_but_not_print(shop, client, login_as):
    login_as(codes.OPERATOR)
    page = client.get(f"/labels/?q={shop.units[0].barcode}")
    assert page.status_code == 200
    assert "Printing needs" in page.get_data(as_text=True)
    preview = client.get(f"/labels/preview.png?kind=stock_unit&code={shop.units[0].barcode}&dpi=203")
    assert decode_png(preview.data).count(shop.units[0].barcode) >= 1
    assert client.get(f"/labels/download?output=pdf&kind=stock_unit&code={shop.units[0].barcode}").status_code == 403
    assert client.post("/labels/print", data={"kind": "bin", "code": "BIN-R7-A01"}).status_code == 403


def test_station_page_needs_sign_in(client):
    response = client.get("/labels/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_download_outputs_from_the_page(shop, client, login_as):
    login_as(codes.MATERIAL_HANDLER)
    codes_of_lot = [u.barcode for u in shop.lot.units]
    query = "&".join(f"code={code}" for code in codes_of_lot)
    pdf = client.get(f"/labels/download?output=pdf&kind=stock_unit&dpi=300&sheet=letter&{query}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    (page,) = decode_pdf(pdf.data)
    assert sorted(set(page)) == sorted(codes_of_lot)
    zpl = client.get(f"/labels/download?output=zpl&kind=stock_unit&{query}")
    assert zpl_code128_data(zpl.get_data(as_text=True)) == sorted(codes_of_lot)
    png = client.get(f"/labels/download?output=png&kind=remnant&code={shop.remnant.barcode}")
    assert shop.remnant.barcode in decode_png(png.data)


@pytest.mark.parametrize("query, message", [
    ("output=png&kind=stock_unit&code=LOT-0000-01", "no material stock unit LOT-0000-01"),
    ("output=pdf&kind=stock_unit&code={unit}&copies=100000", "copies must be between"),
    ("output=pdf&kind=stock_unit&code={unit}&copies=abc", "copies must be a whole number"),
    ("output=exe&kind=stock_unit&code={unit}", "choose PNG, PDF or ZPL"),
    ("output=pdf&kind=../../etc&code={unit}", "unknown label kind"),
    ("output=pdf&kind=stock_unit&code={unit}&dpi=999", "not 999"),
    ("output=png&kind=stock_unit&code={unit}&code={unit2}", "PNG holds one label"),
    ("output=pdf&kind=stock_unit", "tick at least one"),
])
def test_bad_download_requests_get_a_message_not_a_500(shop, client, login_as, query, message):
    login_as(codes.PLANNER)
    url = "/labels/download?" + query.format(unit=shop.units[0].barcode, unit2=shop.units[1].barcode)
    response = client.get(url)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_bad_print_forms_are_refused_clearly(shop, client, login_as, session):
    login_as(codes.SHIPPING)
    form = {"kind": "bin", "code": "BIN-R7-A01", "copies": "1", "station_id": str(shop.printer_station.id)}
    forged = client.post("/labels/print", data=form, csrf=False)
    assert forged.status_code == 400 and "security token" in forged.get_data(as_text=True)
    too_many = client.post("/labels/print", data=dict(form, copies="9999"), headers={"HX-Request": "true"})
    assert too_many.status_code == 422 and "copies must be between" in too_many.get_data(as_text=True)
    unknown = client.post("/labels/print", data=dict(form, code="BIN-NOWHERE"), headers={"HX-Request": "true"})
    assert unknown.status_code == 422 and "BIN-NOWHERE" in unknown.get_data(as_text=True)
    bad_station = client.post("/labels/print", data=dict(form, station_id="abc"), headers={"HX-Request": "true"})
    assert bad_station.status_code == 422 and "printer station" in bad_station.get_data(as_text=True)
    assert session.scalar(select(func.count(PrintJob.id))) == 0


def test_search_fragment_for_htmx_and_full_page_otherwise(shop, client, login_as):
    login_as(codes.PLANNER)
    fragment = client.get(f"/labels/?q=LOT-{shop.lot.number}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert all(u.barcode in html for u in shop.lot.units)
    page = client.get("/labels/?q=LOT-0000-77")
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert "no stock unit or lot LOT-0000-77" in page.get_data(as_text=True)


# --- the traveler --------------------------------------------------------------------------------

def test_traveler_page_and_pdf_carry_every_operation_barcode(shop, client, login_as, session):
    login_as(codes.PLANNER)
    traveler = build_traveler(session, shop.job.barcode)
    expected = [shop.job.barcode] + [op.barcode for op in shop.job.operations]
    assert [op.code for op in traveler.operations] == expected[1:]
    assert traveler.heats == ["H52311"]

    page = client.get(f"/labels/traveler/{shop.job.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "@page" not in html  # print rules live in the stylesheet
    assert all(code in html for code in expected) and "H52311" in html

    pdf = client.get(f"/labels/traveler/{shop.job.number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (decoded,) = decode_pdf(pdf.data)
    assert sorted(decoded) == sorted(expected)
    assert client.get("/labels/traveler/99999").status_code == 404


def test_long_traveler_runs_onto_more_pages_and_every_code_decodes(make, session):
    job = make.job(quantity=5, ops=("saw", "lathe", "mill", "deburr", "inspection", "lathe", "mill", "deburr",
                                    "lathe", "mill"), outside=("anodize", "passivate"))
    make.commit()
    pages = decode_pdf(render_traveler_pdf(build_traveler(session, job.number)))
    assert len(pages) == 2
    decoded = [code for page in pages for code in page]
    assert sorted(set(decoded)) == sorted({job.barcode} | {op.barcode for op in job.operations})


# --- picking a kind by hand ----------------------------------------------------------------------

def test_picked_kind_lists_or_searches_its_records(shop, session):
    assert [r["code"] for r in find(session, "", "remnant").records] == [shop.remnant.barcode]
    bars = find(session, "", "stock_unit").records
    assert {r["code"] for r in bars} == {u.barcode for u in shop.lot.units if u.kind == "bar"}
    assert find(session, "", "command_card").records[0]["code"] == "CMD"
    assert find(session, "ada", "badge").records[0]["code"] == shop.admin.barcode
    assert find(session, "316", "stock_unit").kind == "stock_unit"  # grade words
    assert [r["code"] for r in find(session, "rack 7 bin", "bin").records] == [
        loc.barcode for loc in shop.bins]
    with pytest.raises(LabelError, match="no badge matches"):
        find(session, "nobody here", "badge")
    with pytest.raises(LabelError, match="unknown label kind"):
        find(session, "", "pallet")


def test_queued_remnant_label_printed_from_the_queue_on_a_chosen_printer(shop, make, client, session, printer):
    """A floor station without a printer queues a remnant label; the label station prints it."""
    floor = make.station("LATHE2")
    job = queue_label(session, "remnant", shop.remnant.barcode, station_id=floor.id)
    shop.printer_station.printer_port = printer.port
    session.commit()
    login(client, shop.admin)
    page = client.get("/labels/").get_data(as_text=True)
    assert shop.remnant.barcode in page and 'id="queue-printer"' in page
    refused = client.post(f"/labels/queue/{job.id}/retry", headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "no printer for this job" in refused.get_data(as_text=True)
    sent = client.post(f"/labels/queue/{job.id}/retry", data={"station_id": shop.printer_station.id},
                       headers={"HX-Request": "true"})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    (zpl,) = printer.wait_for(1)
    assert zpl_code128_data(zpl.decode()) == [shop.remnant.barcode]
    again = client.post(f"/labels/queue/{job.id}/retry", data={"station_id": shop.printer_station.id},
                        headers={"HX-Request": "true"})
    assert again.status_code == 409 and "already sent" in again.get_data(as_text=True)


def test_text_beyond_latin1_still_prints_in_pdf(shop, session):
    record = records_for_codes(session, "badge", [shop.admin.barcode])[0]
    record["name"] = "Łukasz Żółć — Ø 25"
    (page,) = decode_pdf(render_labels("badge", [record], "pdf"))
    assert page == [shop.admin.barcode]


def test_batch_print_of_a_lot_leaves_out_its_used_up_units(shop, make, client, session, printer):
    # The lot's third bar (96 in) goes whole into a job: "QTY 0 in", nothing left to label.
    used_up = shop.units[2]
    job = make.job(quantity=60, ops=("lathe",), material=shop.material)
    shopfloor.pull_material(session, used_up, job, 96, user=shop.admin)
    shop.printer_station.printer_port = printer.port
    session.commit()
    login(client, shop.admin)
    page = client.get(f"/labels/?q=LOT-{shop.lot.number}", headers={"HX-Request": "true"}).get_data(as_text=True)
    ticked = re.findall(r'<input type="checkbox" name="code" value="([^"]+)" checked', page)
    in_stock = sorted(u.barcode for u in shop.lot.units if u.id != used_up.id)
    assert ticked == in_stock and used_up.barcode not in page
    assert "1 used up, left out" in page

    form = {"kind": "stock_unit", "code": ticked, "copies": "1", "dpi": "203", "station_id": str(shop.printer_station.id)}
    response = client.post("/labels/print", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    (sent,) = printer.wait_for(1)
    assert zpl_code128_data(sent.decode()) == in_stock
    assert "QTY 0" not in sent.decode() and "^FD0 in" not in sent.decode()
    # The used-up bar itself can still be looked up (and relabelled) when it is scanned on its own.
    assert [r["quantity"] for r in find(session, used_up.barcode).records] == ["0 in"]
