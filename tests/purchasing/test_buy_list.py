"""The buy list as a planner reads it (the page and its CSV): bars held for another customer do not
cover a job, a released job's kept cut plan says what it takes, and Metrics › Material shows the same
list — each with its figures worked by hand."""
import csv
import io
from decimal import Decimal as D

from sqlalchemy import select

from spex import codes
from spex.materials import stocking
from spex.models import PurchaseNeed


def _row(client, material):
    """The buy list CSV's row for a material, by column name; None when it is not on the list."""
    rows = csv.DictReader(io.StringIO(client.get("/purchasing/buy.csv").get_data(as_text=True)))
    return next((row for row in rows if row["material"] == material.code), None)


def _item(page: str, material) -> str:
    """The buy list page's line for a material ('' when it is not on the list)."""
    start = page.find(f'data-material="{material.code}"')
    return page[start:page.index("</li>", start)] if start >= 0 else ""


def test_bars_held_for_another_customer_do_not_cover_a_job(client, session, make, buying, login_as):
    # 4 bars of 144 in = 576 in on the rack, all held for Acme under their stocking agreement.
    # Acme's own job: 100 pcs x 1.25 in = 125 in, from Acme's bars. Borg's job: 125 in too, but the
    # other 451 in are Acme's: Borg's 125 in must be bought, 1 bar of 144 in.
    bar = buying.bar(buying.supplier(), code="303-RD-1.000", stocking="per_job")
    acme, borg = make.customer(), make.customer()
    lot = make.lot(bar, lengths=[144] * 4)
    lot.customer_id = acme.id
    planner = make.user(codes.PLANNER)
    stocking.save_agreement(session, acme, bar, 3, user=planner)
    make.job(make.part(material=bar, customer=acme), quantity=100, release=False)
    make.job(make.part(material=bar, customer=borg), quantity=100, release=False)
    make.commit()
    login_as(codes.PLANNER)
    line = _item(client.get("/purchasing/buy").get_data(as_text=True), bar)
    assert f"order 1 bar × 144 in of {bar.label}" in line
    assert f"451 in on hand is held for {acme.name}" in line
    row = _row(client, bar)
    assert (row["count"], row["quantity"]) == ("1", "125.000")
    assert row["reason"] == f"open jobs need more than is on hand (bought per job); 451 in on hand is held for {acme.name}"
    # The planner releases one of Acme's bars to Borg's job: 144 in of shop stock covers its 125 in.
    assert client.post("/material/stocking/release", data={"unit": lot.units[0].barcode,
                                                           "reason": "Acme agreed"}).status_code == 302
    assert _item(client.get("/purchasing/buy").get_data(as_text=True), bar) == ""
    assert _row(client, bar) is None


def test_a_released_job_buys_what_its_kept_cut_plan_leaves_short(client, session, make, buying, login_as):
    # 144 in bars with 24 in of bar end; a cut of 2.375 finished + 0.030 facing + 0.125 kerf = 2.530 in:
    # (144 - 24) / 2.530 = 47.4 -> 47 pcs a bar. One bar on the rack; a job of 200 pcs.
    # The plan kept at release pulls that bar for 47 pcs; 153 pcs are short: 153 / 47 = 3.3 -> 4 new bars
    # = 576 in to buy. (Bar per piece would say 200 x 2.530 = 506 - 144 on hand = 362 in: 3 bars, which
    # give 3 x 47 = 141 pcs, 12 short.)
    bar = buying.bar(buying.supplier(), code="303-RD-1.000", stocking="per_job", bar_end_in=D("24"),
                     kerf_in=D("0.125"))
    make.lot(bar, lengths=[144])
    part = make.part(material=bar, ops=("lathe",))
    part.finished_length_in, part.facing_allowance_in, part.bar_length_per_piece = D("2.375"), D("0.030"), D("2.530")
    job = make.job(part, quantity=200)
    make.commit()
    login_as(codes.PLANNER)
    line = _item(client.get("/purchasing/buy").get_data(as_text=True), bar)
    assert f"order 4 bars × 144 in of {bar.label} — needed by" in line and f"for job {job.number}" in line
    row = _row(client, bar)
    assert (row["count"], row["quantity"], row["jobs"]) == ("4", "576.000", job.number)
    assert session.scalar(select(PurchaseNeed)).quantity == D("576")  # the need raised at release
    # Metrics › Material: the job still needs its planned bar and the 4 new ones, 720 in.
    page = client.get("/metrics/material").get_data(as_text=True)
    assert '<td class="num">720.0</td><td>in</td>' in page


def test_metrics_material_shows_the_purchasing_buy_list(client, session, make, buying, login_as):
    # A released buy-per-job job: 300 pcs x 1.25 in = 375 in, nothing on the rack: a purchase need of
    # 375 in. A 144 in bar turns up on the rack afterwards: the jobs are 231 in short, but the need of
    # 375 in is still open, so the buy list orders 375 in (3 bars) — and Metrics › Material says so too.
    bar = buying.bar(buying.supplier(), code="303-RD-1.000", stocking="per_job", unit_cost=D("0.5"))
    job = make.job(make.part(material=bar), quantity=300)
    make.lot(bar, lengths=[144])
    make.commit()
    login_as(codes.PLANNER)
    row = _row(client, bar)
    assert (row["count"], row["quantity"], row["jobs"]) == ("3", "375.000", job.number)
    page = client.get("/metrics/material").get_data(as_text=True)
    buy_now = page[page.index("<h2>Buy now</h2>"):page.index("</section>", page.index("<h2>Buy now</h2>"))]
    start = buy_now.index(f"<strong>{bar.code}</strong>")
    metrics_row = buy_now[start:buy_now.index("</tr>", start)]
    # Short for open jobs 231.0 in; order 375 in, about 375 x $0.50 = $188.
    assert '<td class="num">231.0</td><td class="num"><span class="buy">375</span></td>' in metrics_row
    assert "$188" in metrics_row and row["reason"] in metrics_row


def test_held_bars_a_customers_plan_leaves_alone_still_do_not_cover_another_customer(client, session, make, buying,
                                                                                    login_as):
    # Cut 2.530 in, 24 in of bar end. On the rack: a 100 in shop bar and 2 bars of 144 in held for Acme.
    # Acme's job of 30 pcs is released: its plan takes the shorter shop bar ((100 - 24) / 2.530 = 30 pcs),
    # so all 288 in of Acme's bars stay Acme's. Borg's job of 40 pcs needs 40 x 2.530 = 101.2 in, and
    # nothing on the rack is free for it: buy 101.2 in, 1 bar. (Counting Acme's job against Acme's bars
    # would leave 188 in of them held and say 1.2 in.)
    bar = buying.bar(buying.supplier(), code="303-RD-1.000", stocking="per_job", bar_end_in=D("24"),
                     kerf_in=D("0.125"))
    acme, borg = make.customer(), make.customer()
    make.lot(bar, lengths=[100])
    make.lot(bar, lengths=[144, 144]).customer_id = acme.id

    def part(customer):
        made = make.part(material=bar, customer=customer, ops=("lathe",))
        made.finished_length_in, made.facing_allowance_in, made.bar_length_per_piece = D("2.375"), D("0.030"), D("2.530")
        return made
    make.job(part(acme), quantity=30)
    make.job(part(borg), quantity=40, release=False)
    make.commit()
    login_as(codes.PLANNER)
    row = _row(client, bar)
    assert (row["count"], row["quantity"]) == ("1", "101.200")
    assert row["reason"].endswith(f"; 288 in on hand is held for {acme.name}")
