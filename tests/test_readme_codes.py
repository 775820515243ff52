"""The codes a newcomer reads in the README and on the label station's hint are codes of the demo
shop: typed into the demo, each one opens its page (a made-up example sends them to "no such lot")."""
import re
from pathlib import Path

from spex.labels.search import find as find_labels
from spex.wip import lookup

ROOT = Path(__file__).resolve().parents[1]
# Codes of things a page shows; VND-, CMD- and EMP- are scanned, not looked up, and SO-/PO-/SHP- are
# the spec's examples of printed papers, not of the demo.
CODE = re.compile(r"\b(?:LOT-\d+(?:-\d+)?|FG-\d+|BIN-[A-Z0-9]+(?:-[A-Z0-9]+)*|JOB-\d+(?:-\d+)?)\b")


def _codes(path: Path) -> list[str]:
    return sorted(set(CODE.findall(path.read_text())))


def test_readme_examples_are_codes_of_the_demo_shop(session, demo_shop):
    codes = _codes(ROOT / "README.md")
    assert {"JOB-24017", "BIN-R2-A03"} <= set(codes) and any(c.startswith("LOT-") for c in codes)
    missing = [code for code in codes if lookup.find(session, code).endpoint is None]
    assert not missing, f"README names codes the demo does not have: {missing}"


def test_label_station_hint_codes_find_labels_in_the_demo_shop(session, demo_shop):
    codes = _codes(ROOT / "spex" / "labels" / "templates" / "labels" / "station.html")
    assert any(c.startswith("LOT-") for c in codes) and any(c.startswith("FG-") for c in codes)
    for code in codes:
        found = find_labels(session, code)  # raises "no stock unit or lot ..." for a made-up code
        assert found.records or found.job_number, code
