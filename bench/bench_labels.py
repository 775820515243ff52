"""Label station benchmark: labels per second for PNG, PDF and ZPL, and one 100-label sheet PDF.
Run from the repository root: python bench/bench_labels.py   (target: 100 PNG labels/s at
203 dpi on a 4 x 2 in stock unit label). Figures go in bench/README.md, section "Labels"."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spex.labels.layouts import load_layout  # noqa: E402
from spex.labels.render import render_labels  # noqa: E402


def records(count: int) -> list[dict]:
    """Distinct codes and heats, so no cache makes one label look like the next."""
    sample = load_layout("stock_unit").sample
    return [dict(sample, code=f"LOT-{1000 + n // 20}-{n % 20:02d}", heat=f"H{52000 + n}",
                 lot=f"LOT-{1000 + n // 20}", quantity=f"{144 - n % 100} in") for n in range(count)]


def rate(label: str, count: int, render) -> float:
    started = time.perf_counter()
    for record in records(count):
        render(record)
    elapsed = time.perf_counter() - started
    per_second = count / elapsed
    print(f"{label:<38} {per_second:8.1f} labels/s  ({count} in {elapsed:.2f} s)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    render_labels("stock_unit", records(1), "png")  # load fonts and layout once, as a station does
    for dpi in (203, 300):
        rate(f"PNG  stock_unit 4x2 in @ {dpi} dpi", args.count,
             lambda r, dpi=dpi: render_labels("stock_unit", [r], "png", dpi=dpi))
    rate("PDF  stock_unit 4x2 in @ 203 dpi", args.count,
         lambda r: render_labels("stock_unit", [r], "pdf", dpi=203))
    rate("ZPL  stock_unit 4x2 in @ 203 dpi", args.count,
         lambda r: render_labels("stock_unit", [r], "zpl", dpi=203))
    rate("PNG  remnant 2x1 in @ 203 dpi", args.count,
         lambda r: render_labels("remnant", [r], "png", dpi=203))
    started = time.perf_counter()
    sheet = render_labels("stock_unit", records(100), "pdf", sheet="letter")
    elapsed = time.perf_counter() - started
    print(f"{'PDF  100-label Letter sheet (10 pages)':<38} {elapsed:8.2f} s  "
          f"({100 / elapsed:.0f} labels/s, {len(sheet) // 1024} KiB)")


if __name__ == "__main__":
    main()
