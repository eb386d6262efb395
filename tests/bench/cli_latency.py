"""CLI latency against a floor, in one run, interleaved.

Floor: a bare `python -c "import keyring; keyring.get_password(s, u)"` reading
the same keyring item that `tokenmgr get NAME` prints. Measured, with 1,000
entries in the index: `tokenmgr get NAME` and `tokenmgr list --json`. Runs on
the real gnome-keyring (a private bus started here). Prints medians and ratios;
the goal is both ratios ≤ 1.0.

    python tests/bench/cli_latency.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.secret_service import SecretServiceSession  # noqa: E402
from tokenmgr.core.entries import Entry  # noqa: E402
from tokenmgr.core.index import Index  # noqa: E402

ENTRIES = 1000
NAME = "bench-0999"


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{cmd} failed ({r.returncode}): {r.stderr.decode()}")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--quick", action="store_true", help="9 rounds (for make test)")
    ap.add_argument("--json", action="store_true")
    opts = ap.parse_args()
    rounds = 9 if opts.quick else opts.rounds

    tokenmgr = shutil.which("tokenmgr", path=str(Path(sys.executable).parent)) or "tokenmgr"
    work = Path(tempfile.mkdtemp(prefix="tokenmgr-bench-"))
    with SecretServiceSession() as ss:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
        env.pop("DISPLAY", None)
        env.update(ss.env, TOKENMGR_HOME=str(work / "home"))
        # 999 entries of metadata, then the measured one stored through the CLI.
        Index(work / "home").save(
            {
                f"bench-{i:04d}": Entry(name=f"bench-{i:04d}", service="Bench", note="x" * 40)
                for i in range(ENTRIES - 1)
            }
        )
        token = "ghp_" + "b" * 36
        r = subprocess.run(
            [tokenmgr, "add", NAME], input=token.encode(), env=env, capture_output=True
        )
        if r.returncode != 0:
            raise SystemExit(f"add failed: {r.stderr.decode()}")
        floor_cmd = [
            sys.executable,
            "-c",
            f"import keyring; assert keyring.get_password('tokenmgr', '{NAME}/access')",
        ]
        cmds = {
            "floor (python -c 'import keyring; get_password')": floor_cmd,
            f"tokenmgr get {NAME}": [tokenmgr, "get", NAME],
            f"tokenmgr list --json ({ENTRIES} entries)": [tokenmgr, "list", "--json"],
        }
        for cmd in cmds.values():  # warm the page cache and the keyring daemon
            _time(cmd, env)
        samples: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(rounds):
            for label, cmd in cmds.items():  # interleaved: noise hits all alike
                samples[label].append(_time(cmd, env))
    shutil.rmtree(work, ignore_errors=True)

    medians = {k: statistics.median(v) for k, v in samples.items()}
    floor = next(iter(medians.values()))
    result = {
        k: {"median_ms": round(m * 1000, 1), "ratio": round(m / floor, 2)}
        for k, m in medians.items()
    }
    if opts.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"CLI latency, {rounds} interleaved rounds, medians (ratio to the floor; goal ≤ 1.0)")
        for k, v in result.items():
            print(f"  {k:55s} {v['median_ms']:7.1f} ms  {v['ratio']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
