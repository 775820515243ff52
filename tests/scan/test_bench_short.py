"""The scan benchmark in its short form: the script runs end to end against gunicorn and every scan
of the mix is answered as the station would answer it. Its figures are read, not asserted."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a gunicorn and a baseline server started and driven: tens of seconds
def test_scan_benchmark_replays_the_mix_over_http(request):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("the benchmark builds its own SQLite shop; once per suite is enough")
    run = subprocess.run([sys.executable, "bench/bench_scan.py", "--clients", "2", "--rounds", "2",
                          "--workers", "2", "--threads", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    mix = re.search(r"scan mix \(Spex /station/scan\)\s+(\d+) req .* p99\s+([\d.]+) ms", out)
    baseline = re.search(r"baseline \(Flask \+ 1 SQLite insert\)\s+(\d+) req", out)
    assert mix and baseline, out
    # Two clients, two rounds of the script: the same scans go to Spex and to the baseline.
    assert int(mix.group(1)) == int(baseline.group(1)) > 50
    outcomes = dict((name, int(n)) for name, n in re.findall(r"(\w+) (\d+)", out.split("outcomes:")[1].splitlines()[0]))
    # The mix records (done), takes context (waiting) and signs out; no scan is refused or fails.
    assert set(outcomes) == {"done", "waiting", "signed_out"} and sum(outcomes.values()) == int(mix.group(1))
    assert re.search(r"mix / baseline throughput: \d+\.\d\d", out)
