"""The code a benchmark runs: this checkout, or another git revision checked out beside it for the
length of one run, each with a shop database built by its own code and schema."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent


@contextmanager
def checkout(repository: Path, revision: str, into: Path):
    """A detached worktree of `revision` in `into`, removed again when the run ends (even a failed one)."""
    commit = subprocess.run(["git", "-C", str(repository), "rev-parse", "--verify", f"{revision}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"--compare {revision}: no such revision ({commit.stderr.strip()})")
    subprocess.run(["git", "-C", str(repository), "worktree", "add", "--detach", "--quiet", str(into),
                    commit.stdout.strip()], check=True)
    try:
        yield into
    finally:
        subprocess.run(["git", "-C", str(repository), "worktree", "remove", "--force", str(into)], check=False)
        subprocess.run(["git", "-C", str(repository), "worktree", "prune"], check=False)


def code_env(code: Path) -> dict[str, str]:
    """The environment that makes `code`'s spex package the one imported (before any installed one)."""
    return {"PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "BENCH_CODE": str(code)}


def build_shop_with(code: Path, url: str, clients: int, prefill: int) -> dict:
    """The bench's shop (this checkout's script and data), written by `code`'s own models and
    migrations in a process of its own, so an older revision gets the schema it expects."""
    command = [sys.executable, str(BENCH / "bench_scan.py"), "--build-shop", url, "--clients", str(clients),
               "--prefill", str(prefill)]
    run = subprocess.run(command, env={**os.environ, **code_env(code)}, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"building the shop with the code in {code.name} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def short_name(repository: Path, revision: str) -> str:
    """The revision's short commit id, with "+ changes" for this checkout's uncommitted edits."""
    commit = subprocess.run(["git", "-C", str(repository), "rev-parse", "--short", revision],
                            capture_output=True, text=True).stdout.strip() or revision
    if revision == "HEAD":
        changed = subprocess.run(["git", "-C", str(repository), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True).stdout.strip()
        return f"{commit} + changes" if changed else commit
    return commit
