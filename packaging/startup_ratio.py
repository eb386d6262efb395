"""The frozen bundle's start-up against the venv's: `tokenmgr gui --smoke-test`, both.

Both build the whole window over the same 200-entry index, offscreen, and exit
after its first paint. Rounds are interleaved (the order alternates each round)
after one warm-up run of each (page cache, fontconfig's cache, bytecode); the
result is the ratio of the medians of wall time. The goal is ≤ 1.2.

    .venv/bin/python packaging/startup_ratio.py [--bundle PATH] [--rounds N] [--strict]

PATH defaults to /opt/tokenmgr/tokenmgr when the .deb is installed, else to the
bundle `make package` leaves in dist/tokenmgr/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bench.gui_startup import bench_env  # noqa: E402

GOAL = 1.2
ENTRIES = 200


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0 or f"smoke test passed ({ENTRIES} entries)" not in err:
        raise SystemExit(f"{cmd[0]} failed ({r.returncode}): {err}")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path("/opt/tokenmgr/tokenmgr")
    if not default.exists():
        default = ROOT / "dist" / "tokenmgr" / "tokenmgr"
    ap.add_argument("--bundle", type=Path, default=default)
    ap.add_argument("--venv", type=Path, default=Path(sys.executable).parent / "tokenmgr")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--strict", action="store_true", help=f"exit 1 above {GOAL}")
    opts = ap.parse_args()
    for exe in (opts.bundle, opts.venv):
        if not exe.exists():
            raise SystemExit(f"startup_ratio: no {exe} (run `make package` for the bundle)")

    work = Path(tempfile.mkdtemp(prefix="tokenmgr-startup-ratio-"))
    try:
        env = bench_env(work, ENTRIES)
        cmds = {
            "venv": [str(opts.venv), "gui", "--smoke-test"],
            "bundle": [str(opts.bundle), "gui", "--smoke-test"],
        }
        for cmd in cmds.values():
            run_once(cmd, env)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        labels = list(cmds)
        for n in range(opts.rounds):
            for label in labels[n % 2 :] + labels[: n % 2]:
                times[label].append(run_once(cmds[label], env))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["bundle"] / med["venv"]
    print(f"venv   {opts.venv}: median {med['venv'] * 1000:.0f} ms over {opts.rounds} rounds")
    print(f"bundle {opts.bundle}: median {med['bundle'] * 1000:.0f} ms")
    verdict = "meets" if ratio <= GOAL else "misses"
    print(f"ratio bundle/venv: {ratio:.2f} ({verdict} the goal ≤ {GOAL})")
    return 1 if opts.strict and ratio > GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
