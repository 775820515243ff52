"""Every label kind, every output, both printer resolutions: each barcode decodes back to the
exact code it was made from."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from spex.labels.layouts import LabelError, label_kinds, load_layout, place
from spex.labels.render import render_labels

from label_decoding import decode_pdf, decode_png, zpl_code128_data

KINDS = ["badge", "bin", "command_card", "finished_goods", "outside_shipment", "remnant",
         "stock_unit"]

# A second record per kind, with a code of a different length from the sample's.
OTHER_RECORDS = {
    "badge": {"code": "EMP-1307", "name": "Lupe Ortega-Brandt", "role": "Inspector"},
    "bin": {"code": "BIN-FG-SHIP-12", "name": "Shipping bench, shelf 12", "path": "Finished goods"},
    "command_card": {"code": "CMD", "station": "Receiving dock"},
    "finished_goods": {"code": "FG-10077", "part": "4471-220-B", "rev": "AB",
                       "description": "Manifold block, 7075-T6", "quantity": "1000",
                       "customer": "Northfield Aerospace", "po": "4500098812", "job": "JOB-24388",
                       "heats": "K88120", "packed": "2026-11-30"},
    "outside_shipment": {"code": "JOB-24388-60", "job": "JOB-24388", "op": "60",
                         "process": "Heat treat H1025", "part": "4471-220-B rev AB",
                         "vendor": "Bodycote Thermal", "vendor_code": "VND-BODYCOTE-HT",
                         "quantity": "998", "shipped": "2026-11-26", "due_back": "2026-12-04"},
    "remnant": {"code": "LOT-20931-117", "grade": "C360 brass", "form": "Hex bar",
                "size": "0.750 in", "heat": "B7731", "quantity": "18.25 in",
                "returned": "2026-11-25"},
    "stock_unit": {"code": "LOT-20931-117", "grade": "Inconel 718", "form": "Round bar",
                   "size": "2.000 in", "heat": "HT-99120-A", "lot": "LOT-20931",
                   "supplier": "Special Metals Corp", "cert": None, "quantity": "12 ft",
                   "received": "2026-11-25"},
}


def records_for(kind):
    return [load_layout(kind).sample, OTHER_RECORDS[kind]]


def expected_codes(kind, record, dpi):
    return sorted(barcode.data for barcode in place(load_layout(kind), record, dpi).barcodes())


def test_every_kind_in_labels_folder_is_covered():
    assert sorted(label_kinds()) == KINDS


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", KINDS)
def test_png_decodes_to_exact_codes(kind, dpi):
    for record in records_for(kind):
        expected = expected_codes(kind, record, dpi)
        assert expected, "every label carries a barcode"
        if kind != "command_card":
            assert record["code"] in expected
        decoded = decode_png(render_labels(kind, [record], "png", dpi=dpi))
        code128 = [text for text in decoded if text in expected]
        assert sorted(set(code128)) == expected
        # Anything else on the label (a DataMatrix or QR) must carry the same code too.
        assert set(decoded) <= set(expected)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", KINDS)
def test_pdf_pages_rasterised_decode_to_exact_codes(kind, dpi):
    records = records_for(kind)
    pages = decode_pdf(render_labels(kind, records, "pdf", dpi=dpi))
    assert len(pages) == len(records)
    for record, decoded in zip(records, pages):
        assert sorted(set(decoded)) == expected_codes(kind, record, dpi)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("kind", KINDS)
def test_zpl_carries_exact_codes_in_native_code128(kind, dpi):
    for record in records_for(kind):
        zpl = render_labels(kind, [record], "zpl", dpi=dpi, copies=3).decode("utf-8")
        assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
        assert "^PQ3" in zpl
        assert zpl_code128_data(zpl) == expected_codes(kind, record, dpi)
        label = place(load_layout(kind), record, dpi)
        assert f"^PW{label.width}" in zpl and f"^LL{label.height}" in zpl


@pytest.mark.parametrize("dpi", [203, 300])
def test_small_two_by_one_remnant_label(dpi):
    layout = load_layout("remnant")
    assert layout.size_in_inches() == (2.0, 1.0)
    label = place(layout, OTHER_RECORDS["remnant"], dpi)
    assert (label.width, label.height) == (2 * dpi, dpi)
    assert decode_png(render_labels("remnant", [OTHER_RECORDS["remnant"]], "png", dpi=dpi)) == [
        "LOT-20931-117"]


@pytest.mark.parametrize("dpi", [203, 300])
def test_bars_sit_on_whole_printer_dots_with_quiet_zones(dpi):
    """Every bar and space on the PNG is a whole multiple of the module width in dots, and ten
    modules of white lie either side: what makes a thermal print crisp and scannable."""
    record = load_layout("stock_unit").sample
    label = place(load_layout("stock_unit"), record, dpi)
    (barcode,) = label.barcodes()
    image = Image.open(io.BytesIO(render_labels("stock_unit", [record], "png", dpi=dpi)))
    row = [image.getpixel((x, barcode.y + barcode.height // 2)) for x in range(label.width)]
    quiet = 10 * barcode.module_dots
    assert all(row[x] for x in range(barcode.x - quiet, barcode.x)), "left quiet zone"
    end = barcode.x + barcode.width
    assert all(row[x] for x in range(end, end + quiet)), "right quiet zone"
    drawn = "".join("0" if row[x] else "1" for x in range(barcode.x, end))
    assert drawn == "".join(m * barcode.module_dots for m in barcode.modules)


def test_sheet_of_labels_decodes_on_every_page():
    record = load_layout("stock_unit").sample
    pdf = render_labels("stock_unit", [record], "pdf", copies=25, sheet="letter")
    pages = decode_pdf(pdf, dpi=200)
    assert len(pages) == 3  # ten 4x2 in labels on a Letter sheet
    assert [page.count("LOT-1187-03") for page in pages] == [20, 20, 10]  # Code 128 + DataMatrix


def test_missing_field_names_the_field():
    record = dict(load_layout("stock_unit").sample)
    del record["heat"]
    with pytest.raises(LabelError, match="heat"):
        render_labels("stock_unit", [record], "png")


def test_code_too_long_for_small_label_is_refused_clearly():
    record = dict(load_layout("remnant").sample, code="LOT-" + "ABCDEFGHIJ" * 4)
    with pytest.raises(LabelError, match="too long"):
        render_labels("remnant", [record], "zpl", dpi=203)


@pytest.mark.parametrize("kind", ["nope", "../pyproject", "", "sheets"])
def test_unknown_kind_is_refused(kind):
    with pytest.raises(LabelError):
        render_labels(kind, [{"code": "X"}], "png")


@pytest.mark.parametrize("copies", [0, -1, 501, "lots"])
def test_copies_out_of_range_are_refused(copies):
    with pytest.raises(LabelError, match="copies"):
        render_labels("bin", [load_layout("bin").sample], "zpl", copies=copies)


def test_zpl_escapes_control_characters_in_text():
    record = dict(load_layout("badge").sample, name="A^B~C_D")
    zpl = render_labels("badge", [record], "zpl").decode()
    assert "^FH_^FDA_5EB_7EC_5FD^FS" in zpl


def test_pdf_with_too_many_copies_is_refused_but_zpl_repeats_on_the_printer():
    records = [load_layout("bin").sample] * 5
    with pytest.raises(LabelError, match="more than 2000"):
        render_labels("bin", records, "pdf", copies=500)
    zpl = render_labels("bin", records, "zpl", copies=500).decode()
    assert zpl.count("^PQ500") == 5


def test_a_template_edited_wrong_is_a_clear_message(tmp_path):
    """The shop edits these files by hand: mistakes name the file and what is wrong."""
    (tmp_path / "tag.toml").write_text('width = "2in"\nheight = "1in"\n[[element]]\ntype = "box"\nx = 0.1\n')
    with pytest.raises(LabelError, match="tag.toml: an element is missing its 'width'"):
        render_labels("tag", [{"code": "BIN-A1"}], "png", directory=tmp_path)
    (tmp_path / "tag.toml").write_text('width = "2in"\nheight = "1in"\n[[element]]\ntype = "text"\n'
                                       'text = "{code}"\nsize = "big"\n')
    with pytest.raises(LabelError, match="'big' is not a length"):
        render_labels("tag", [{"code": "BIN-A1"}], "png", directory=tmp_path)
    (tmp_path / "logo.png").write_text("not really a picture")
    (tmp_path / "tag.toml").write_text('width = "2in"\nheight = "1in"\n[[element]]\ntype = "image"\n'
                                       'file = "logo.png"\nwidth = 1\nheight = 0.5\n')
    with pytest.raises(LabelError, match="not an image"):
        render_labels("tag", [{"code": "BIN-A1"}], "png", directory=tmp_path)
    (tmp_path / "tag.toml").write_text('width = "2in"\nheight = "1in"\n[[element]]\ntype = "image"\n'
                                       'file = "../secret.png"\nwidth = 1\nheight = 0.5\n')
    with pytest.raises(LabelError, match="missing from labels/"):
        render_labels("tag", [{"code": "BIN-A1"}], "png", directory=tmp_path)
    (tmp_path / "tag.toml").write_text('width = "2in"\nheight = [\n')
    with pytest.raises(LabelError, match="tag.toml"):
        render_labels("tag", [{"code": "BIN-A1"}], "png", directory=tmp_path)
