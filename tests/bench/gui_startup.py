"""GUI start-up against a floor, in one run, interleaved: wall time and peak RSS.

Floor: a bare PySide6 script that shows a QMainWindow with a 200-row
QTableView and exits after the first paint. Measured: `tokenmgr gui
--smoke-test` with 200 entries in the index (it builds the whole window with
them, shows it, waits for the first paint and exits). Both run offscreen.
Prints medians and ratios; the goal is both ratios ≤ 1.3.

    python tests/bench/gui_startup.py [--rounds N] [--quick] [--json] [--strict]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tokenmgr.core.entries import Entry  # noqa: E402
from tokenmgr.core.index import Index  # noqa: E402

ENTRIES = 200
GOAL = 1.3
FLOOR = "floor: bare PySide6 window, 200-row table"
SMOKE = "tokenmgr gui --smoke-test, 200 entries"

FLOOR_SCRIPT = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

app = QApplication(sys.argv)
model = QStandardItemModel(0, 4)
model.setHorizontalHeaderLabels(["Name", "Service", "Kind", "Expires"])
for i in range(200):
    model.appendRow([QStandardItem(f"bench-{i:03d}"), QStandardItem("Bench"),
                     QStandardItem("static"), QStandardItem("in 29 days")])
window = QMainWindow()
view = QTableView()
view.setModel(model)
window.setCentralWidget(view)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
            app.removeEventFilter(self)
        return False

view.viewport().installEventFilter(FirstPaint(app))
window.show()
sys.exit(app.exec())
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time (s) and peak RSS (KiB) of one child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {err}")
    return dt, int(usage.ru_maxrss)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _report(i: int, now: datetime) -> dict[str, object]:
    """The summary `tokenmgr add` stores for a token: a signed JWT for every fourth entry
    (the first among them, so the first row's details show claims tables), else an
    opaque personal access token."""
    from tokenmgr.core import jwt_inspect

    if i % 4 == 0:
        claims = {"iss": "https://login.bench.example/", "sub": f"user-{i}", "aud": "api",
                  "scope": "read write", "iat": int(now.timestamp()) - 3600,
                  "exp": int(now.timestamp()) + 86400 * (1 + i % 40)}
        token = ".".join([_b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode()),
                          _b64(json.dumps(claims).encode()), _b64(b"s" * 256)])
    else:
        token = f"ghp_{i:04d}" + "x" * 32
    return jwt_inspect.summary(jwt_inspect.inspect(token))


def bench_env(work: Path, entries: int = ENTRIES) -> dict[str, str]:
    """The environment of a start-up benchmark run: offscreen, no display, a fresh
    TOKENMGR_HOME under `work` whose index holds `entries` static entries, each with
    the report `tokenmgr add` would have stored."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(k, None)
    (work / "run").mkdir(mode=0o700)
    # Every program from cached bytecode (PYTHONDONTWRITEBYTECODE would recompile ours).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.update(
        QT_QPA_PLATFORM="offscreen",
        TOKENMGR_HOME=str(work / "home"),
        XDG_RUNTIME_DIR=str(work / "run"),
    )
    now = datetime.now(UTC)
    Index(work / "home").save(
        {
            f"bench-{i:03d}": Entry(
                name=f"bench-{i:03d}",
                service="Bench",
                expires_at=now + timedelta(days=1 + i % 40),
                issued_at=now - timedelta(days=30),
                note="x" * 40,
                tags=["bench"],
                secrets=["access"],
                report=_report(i, now),
            )
            for i in range(entries)
        }
    )
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--quick", action="store_true", help="5 rounds (for make test)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    opts = ap.parse_args()
    rounds = 5 if opts.quick else opts.rounds

    tokenmgr = shutil.which("tokenmgr", path=str(Path(sys.executable).parent)) or "tokenmgr"
    work = Path(tempfile.mkdtemp(prefix="tokenmgr-gui-bench-"))
    try:
        env = bench_env(work)
        cmds = {
            FLOOR: [sys.executable, "-c", FLOOR_SCRIPT],
            SMOKE: [tokenmgr, "gui", "--smoke-test"],
        }
        for cmd in cmds.values():  # bytecode caches, the page cache, fontconfig's cache
            _run(cmd, env)
        wall: dict[str, list[float]] = {k: [] for k in cmds}
        rss: dict[str, list[int]] = {k: [] for k in cmds}
        labels = list(cmds)
        for n in range(rounds):
            for label in labels[n % 2 :] + labels[: n % 2]:
                dt, kib = _run(cmds[label], env)
                wall[label].append(dt)
                rss[label].append(kib)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med_wall = {k: statistics.median(v) for k, v in wall.items()}
    med_rss = {k: statistics.median(v) for k, v in rss.items()}
    wall_ratio = med_wall[SMOKE] / med_wall[FLOOR]
    rss_ratio = med_rss[SMOKE] / med_rss[FLOOR]
    met = wall_ratio <= GOAL and rss_ratio <= GOAL
    if opts.json:
        print(json.dumps({
            "rounds": rounds,
            "wall_ms": {k: round(v * 1000, 1) for k, v in med_wall.items()},
            "peak_rss_mib": {k: round(v / 1024, 1) for k, v in med_rss.items()},
            "wall_ratio": round(wall_ratio, 2),
            "rss_ratio": round(rss_ratio, 2),
            "goal": GOAL,
            "goal_met": met,
        }, indent=2))
    else:
        print(f"GUI start-up, {rounds} interleaved rounds, medians (offscreen)")
        print(f"  {'':44s} {'wall':>9s}  {'peak RSS':>10s}")
        for k in cmds:
            print(f"  {k:44s} {med_wall[k] * 1000:7.1f}ms  {med_rss[k] / 1024:7.1f}MiB")
        verdict = "met" if met else "MISSED"
        print(f"  ratio: wall {wall_ratio:.2f}x, peak RSS {rss_ratio:.2f}x "
              f"(goal ≤ {GOAL}x both: {verdict})")
        print("  (timings on a shared machine are noisy; the ratios, measured together, matter)")
    return 1 if (opts.strict and not met) else 0


if __name__ == "__main__":
    sys.exit(main())
