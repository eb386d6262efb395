"""GUI start-up: time to first paint and peak RSS, against a floor, interleaved in one run.

What is measured is the moment a user sees the list: the end of the first frame
of the main window, with the token list in it. Both programs run on the same
Xvfb display, with `trayer` holding the system tray, one after the other in
alternating order, each from a cold process:

- the floor: a bare PySide6 script that shows a QMainWindow holding a 200-row
  QTableView (a QStandardItemModel);
- the app: `tokenmgr gui` as a user starts it (the console script's path through
  `tokenmgr.cli.main`), over an index of 200 realistic entries, with everything
  that start does: the single-instance server, the tray icon, the keeper, and the
  store probe against gnome-keyring's Secret Service on a private D-Bus session
  bus (unlocked; the entries' secrets are not needed to draw the list).

The same probe goes into both processes (an event filter on the main window and
on the list's viewport, no filter on the application): at the window's first
Paint it arms a zero-delay timer, which fires once that frame has been drawn.
It then records CLOCK_MONOTONIC (which the parent shares) and how many rows
the list's model held, if the list's viewport was painted in that frame (0 if
not), lets the program run half a second more (what a start does once its window
is up counts towards its memory too), and quits. Time to first paint = that
mark minus the moment the parent started the process; peak RSS is the child's
ru_maxrss. A run fails, whatever its times, when either program's first frame
drew fewer than the 200 rows, or when the app had no tray icon shown or no
single-instance server listening by the end of it.

Prints the medians, and the ratios app / floor: for first paint the median of
each round's ratio, for peak RSS the ratio of the medians. Goals: first paint ≤ 1.35x the
floor, peak RSS ≤ 1.3x; `--strict` exits 1 when one is missed. Both are missed
today (docs/PERFORMANCE.md says by how much and why the tricks that met them were
taken out), so `make test` runs `--guard` instead: it exits 1 only past the
regression ceilings (first paint 2.5x, peak RSS 1.6x), which loading something the
first paint does not need (QtWebEngine, the HTTP stack, every entry's secret) crosses.

    python tests/bench/gui_startup.py [--rounds N] [--quick] [--json] [--strict | --guard]
                                      [--tree DIR]

`--tree DIR` runs the app from another checkout (its `tokenmgr` package),
to compare two versions with the same harness.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tokenmgr.core.entries import Entry  # noqa: E402
from tokenmgr.core.index import Index  # noqa: E402

ENTRIES = 200
PAINT_GOAL = 1.35
RSS_GOAL = 1.3
PAINT_CEILING = 2.5
RSS_CEILING = 1.6
QUICK_ROUNDS = 15
ROUNDS = 41
FLOOR = "floor: bare PySide6 window, 200-row table"
APP = "tokenmgr gui (tray, single instance, keyring, keeper)"
TIMEOUT_S = 60

# What both children run first: the first-frame probe. `watch(window, model, quit)`
# finds the view that shows `model` (directly or through a proxy), prints one JSON
# line on stdout once the window's first frame is drawn, then calls `quit`. Both
# programs pay for the same probe. It names PySide6 only once called (the app
# imports it its own way).
PROBE = r'''
import json, sys, time

SETTLE_MS = 500

def watch(window, model, quit, extra=dict):
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QAbstractItemView

    view = None
    for candidate in window.findChildren(QAbstractItemView):
        shown = candidate.model()
        if shown is model or getattr(shown, "sourceModel", lambda: None)() is model:
            view = candidate
            break
    state = {"viewport": False, "frame": False}

    def frame_done():
        rows = model.rowCount() if state["viewport"] else 0
        mark = time.monotonic()
        report = {"mark": mark, "rows": rows}

        def settled():
            # Peak RSS counts what the start does once the window is up, too.
            sys.stdout.write(json.dumps({**report, **extra()}) + "\n")
            sys.stdout.flush()
            quit()

        QTimer.singleShot(SETTLE_MS, settled)

    class FirstFrame(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                if obj is window and not state["frame"]:
                    state["frame"] = True
                    QTimer.singleShot(0, frame_done)
                elif obj is not window:
                    state["viewport"] = True
            return False

    probe = FirstFrame(window)
    window.installEventFilter(probe)
    if view is not None:
        view.viewport().installEventFilter(probe)
    QTimer.singleShot(30_000, lambda: (sys.stderr.write("never painted\n"), quit()))
    return probe
'''

FLOOR_SCRIPT = PROBE + r'''
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

app = QApplication(sys.argv)
model = QStandardItemModel(0, 4)
model.setHorizontalHeaderLabels(["Name", "Service", "Kind", "Expires"])
for i in range(int(sys.argv[1])):
    model.appendRow([QStandardItem(f"bench-{i:03d}"), QStandardItem("Bench"),
                     QStandardItem("static"), QStandardItem("in 29 days")])
window = QMainWindow()
view = QTableView()
view.setModel(model)
window.setCentralWidget(view)
window.resize(1100, 680)
probe = watch(window, model, app.quit)
window.show()
sys.exit(app.exec())
'''

# The app, started as the `tokenmgr` console script starts it. The probe goes onto the
# window that `tokenmgr.gui.app.start` returns: an import hook wraps that function
# when the module is first imported (so nothing is imported earlier than the app
# itself imports it).
APP_SCRIPT = PROBE + r'''
from importlib.machinery import PathFinder

class _Hook:  # a meta path finder (importlib.abc would cost the app what the floor never pays)
    def find_spec(self, name, path, target=None):
        if name != "tokenmgr.gui.app":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            start = module.start

            def start_watched(*args, **kwargs):
                running = start(*args, **kwargs)
                if not isinstance(running, int):
                    window = running.window
                    model = window.model() if callable(window.model) else window.model
                    running.first_frame = watch(window, model, window.quit_app,
                                                lambda: started(running.app))
                return running

            module.start = start_watched

        spec.loader.exec_module = exec_module
        return spec

def started(app):
    """What else the start has running (checked by the parent); asked at the end of the
    run, without importing anything the app did not."""
    from PySide6.QtWidgets import QSystemTrayIcon

    listening = False
    if "PySide6.QtNetwork" in sys.modules:  # a checkout whose server is a QLocalServer
        from PySide6.QtNetwork import QLocalServer

        listening = any(s.isListening() for s in app.findChildren(QLocalServer))
    instances = sys.modules.get("tokenmgr.gui.single_instance")
    if instances is not None and hasattr(instances, "SingleInstance"):
        listening = listening or any(
            i.listening for i in app.findChildren(instances.SingleInstance))
    return {
        "tray": any(i.isVisible() for i in app.findChildren(QSystemTrayIcon)),
        "single_instance": listening,
    }

sys.meta_path.insert(0, _Hook())
sys.argv = ["tokenmgr", "gui"]
from tokenmgr.cli import main

sys.exit(main())
'''


@dataclass
class Sample:
    paint_s: float
    rss_kib: int
    rows: int
    report: dict[str, object]


class BenchFailed(RuntimeError):
    """The run could not be measured, or measured something other than the work."""


def run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> Sample:
    """Start `cmd` in `cwd` (not a checkout: `python -c` puts the working directory first
    on sys.path); its first-paint mark (from its stdout) minus the moment we started it,
    and its peak RSS (wait4: this child's own, not a maximum over all children)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    deadline = t0 + TIMEOUT_S
    out = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    err = b""
    open_streams = 2
    while open_streams and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
            elif key.fileobj is proc.stdout:
                out += chunk
            else:
                err += chunk
    sel.close()
    if open_streams:
        proc.kill()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    if open_streams:
        raise BenchFailed(f"a start-up run did not end within {TIMEOUT_S} s")
    lines = [ln for ln in out.decode(errors="replace").splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise BenchFailed(
            f"a start-up run failed (exit {proc.returncode}):\n"
            f"{err.decode(errors='replace')[-2000:]}"
        )
    report = json.loads(lines[-1])
    return Sample(float(report["mark"]) - t0, int(usage.ru_maxrss), int(report["rows"]), report)


# ------------------------------------------------------------------ the index


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


def write_index(home: Path, entries: int = ENTRIES) -> None:
    """An index of `entries` static entries, each with the report `tokenmgr add` stores."""
    now = datetime.now(UTC)
    Index(home).save(
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


def bench_env(work: Path, entries: int = ENTRIES) -> dict[str, str]:
    """The environment of an offscreen start-up run (packaging/startup_ratio.py's
    `gui --smoke-test`): no display, a fresh TOKENMGR_HOME under `work` whose index
    holds `entries` entries, every program from cached bytecode."""
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
    write_index(work / "home", entries)
    return env


# ------------------------------------------------------------------ the desktop


@contextmanager
def desktop(work: Path, entries: int = ENTRIES, tree: Path = ROOT) -> Iterator[dict[str, str]]:
    """Xvfb with trayer, gnome-keyring on a private bus, an index of `entries`: the
    environment both children run in (the app's package from `tree`)."""
    from tests.support.secret_service import SecretServiceSession
    from tests.support.xvfb import XServer

    with XServer(1280, 800) as x, SecretServiceSession() as keyring:
        x.start_tray()
        env = bench_env(work, entries)
        env.pop("QT_QPA_PLATFORM")  # xcb, as on a desktop
        env["DISPLAY"] = x.display
        env.update(keyring.env)
        env["HOME"] = str(work / "home")
        env["XDG_CONFIG_HOME"] = str(work / "config")
        env["PYTHONPATH"] = str(tree)
        yield env


COMMANDS = {
    FLOOR: [sys.executable, "-c", FLOOR_SCRIPT, str(ENTRIES)],
    APP: [sys.executable, "-c", APP_SCRIPT],
}


def check(label: str, sample: Sample) -> None:
    """The run did the work it is timed for: all 200 rows in the first frame, and for the
    app the tray icon shown and the single-instance server listening."""
    if sample.rows != ENTRIES:
        raise BenchFailed(f"{label}: the first frame drew {sample.rows} rows, not {ENTRIES}")
    if label == APP:
        missing = [k for k in ("tray", "single_instance") if sample.report.get(k) is not True]
        if missing:
            raise BenchFailed(f"{label}: no {' and no '.join(missing)} running")


def measure(
    rounds: int, tree: Path = ROOT, index_entries: int = ENTRIES
) -> dict[str, list[Sample]]:
    """`rounds` interleaved runs of each (after one warm-up of each); raises BenchFailed
    when a run fails or did not do the work (`check`). `index_entries` is what the app's
    index holds (tests give it other numbers, to see the check fail)."""
    work = Path(tempfile.mkdtemp(prefix="tokenmgr-gui-bench-"))
    try:
        with desktop(work, index_entries, tree) as env:
            for cmd in COMMANDS.values():  # bytecode caches, the page cache, fontconfig's
                run_once(cmd, env, work)
            samples: dict[str, list[Sample]] = {k: [] for k in COMMANDS}
            labels = list(COMMANDS)
            for n in range(rounds):
                for label in labels[n % 2 :] + labels[: n % 2]:
                    sample = run_once(COMMANDS[label], env, work)
                    check(label, sample)
                    samples[label].append(sample)
            return samples
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_ROUNDS} rounds (as make test runs it)")
    ap.add_argument("--json", action="store_true")
    gate = ap.add_mutually_exclusive_group()
    gate.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    gate.add_argument("--guard", action="store_true",
                      help="exit 1 past the regression ceilings (as make test runs it)")
    ap.add_argument("--tree", type=Path, default=ROOT,
                    help="the checkout whose tokenmgr package the app runs from")
    opts = ap.parse_args(argv)
    rounds = QUICK_ROUNDS if opts.quick else opts.rounds
    try:
        samples = measure(rounds, opts.tree.resolve())
    except BenchFailed as e:
        print(f"gui_startup: {e}", file=sys.stderr)
        return 1

    paint = {k: statistics.median(s.paint_s for s in v) for k, v in samples.items()}
    rss = {k: statistics.median(s.rss_kib for s in v) for k, v in samples.items()}
    # Each round's two runs are neighbours in time: the median of their ratios moves less
    # with the rest of the machine's load than the ratio of the two medians.
    paint_ratio = statistics.median(
        a.paint_s / f.paint_s for a, f in zip(samples[APP], samples[FLOOR], strict=True)
    )
    rss_ratio = rss[APP] / rss[FLOOR]
    met = {"first_paint": paint_ratio <= PAINT_GOAL, "peak_rss": rss_ratio <= RSS_GOAL}
    within = {"first_paint": paint_ratio <= PAINT_CEILING, "peak_rss": rss_ratio <= RSS_CEILING}
    if opts.json:
        print(json.dumps({
            "rounds": rounds,
            "first_paint_ms": {k: round(v * 1000, 1) for k, v in paint.items()},
            "peak_rss_mib": {k: round(v / 1024, 1) for k, v in rss.items()},
            "first_paint_ratio": round(paint_ratio, 3),
            "rss_ratio": round(rss_ratio, 3),
            "goals": {"first_paint": PAINT_GOAL, "peak_rss": RSS_GOAL},
            "goals_met": met,
            "ceilings": {"first_paint": PAINT_CEILING, "peak_rss": RSS_CEILING},
            "within_ceilings": within,
        }, indent=2))
    else:
        print(f"GUI start-up, {rounds} interleaved rounds, medians (Xvfb + trayer, "
              "gnome-keyring on a private bus)")
        print(f"  {'':56s} {'first paint':>11s}  {'peak RSS':>9s}")
        for k in samples:
            print(f"  {k:56s} {paint[k] * 1000:9.1f}ms  {rss[k] / 1024:6.1f}MiB")
        print(f"  ratio: first paint {paint_ratio:.2f}x (goal ≤ {PAINT_GOAL}x: "
              f"{'met' if met['first_paint'] else 'MISSED'}), peak RSS {rss_ratio:.2f}x "
              f"(goal ≤ {RSS_GOAL}x: {'met' if met['peak_rss'] else 'MISSED'})")
        for k, ok in within.items():
            if not ok:
                print(f"  REGRESSION: {k.replace('_', ' ')} is past its ceiling "
                      f"({PAINT_CEILING if k == 'first_paint' else RSS_CEILING}x)")
        print("  (timings on a shared machine are noisy; the ratios, measured together, matter)")
    if opts.strict:
        return 0 if all(met.values()) else 1
    if opts.guard:
        return 0 if all(within.values()) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
