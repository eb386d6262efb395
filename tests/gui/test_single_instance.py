"""One running app per user and TOKENMGR_HOME, with the real single-instance server.

Real `tokenmgr gui` processes: a second launch raises the first one's window
(seen on Xvfb: the hidden window is mapped again) and exits 0; another home is
another instance. The socket lives in the user's private runtime directory (or
under the home), never at a name another user can take first; a second local
user (the tests run as root and start the other user's programs as `nobody`)
who squats the old place, owns the runtime directory, listens where the app
would connect, or connects to the app, neither stops a launch nor gets an
answer.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.xvfb import XServer
from tokenmgr.gui.single_instance import RAISE, SingleInstance, socket_path

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60  # generous upper bound for a condition; never asserted on
NOBODY = 65534
# The other user's programs need only `socket`: the system's Python (the venv's may sit
# under a home the other user cannot enter).
OTHER_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "python3"
# The other user's programs run as nobody: these tests need root (the `as_root`
# fixture fails the run otherwise, as CI runs as root).
as_root = pytest.mark.usefixtures("as_root")


def wait_until(what: str, cond: Callable[[], object], log: Path | None = None) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            detail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise AssertionError(f"gave up waiting for {what}\n{detail}")
        time.sleep(0.05)


def app_env(tmp_path: Path, home: str = "home", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOKENMGR_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = tmp_path / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    env.update(TOKENMGR_HOME=str(tmp_path / home), TOKENMGR_STORE="file",
               XDG_RUNTIME_DIR=str(run), XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), TOKENMGR_DEBUG="1")
    env.update(extra)
    return env


class Launch:
    """`tokenmgr gui` left running; its stderr in a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.env = env
        self.log = log
        with open(log, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "tokenmgr", "gui", *args],
                                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                         stderr=err)
        self.socket = socket_path(Path(env["TOKENMGR_HOME"]), env)

    def wait_listening(self) -> None:
        wait_until("the instance to listen", lambda: self.socket.exists(), self.log)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(WAIT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    started: list[Launch] = []
    yield started
    for launch in started:
        launch.stop()


def launch_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenmgr", "gui"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=WAIT_S)


def test_a_second_launch_raises_the_first_window_and_exits_0(
    tmp_path: Path, launches: list[Launch]
) -> None:
    x = XServer().start(tray=True)
    try:
        env = {**app_env(tmp_path), **{k: v for k, v in x.env.items()
                                       if k in ("DISPLAY", "QT_QPA_PLATFORM")}}

        def shown() -> bool:
            r = x.run(["xdotool", "search", "--onlyvisible", "--name", "^Token Manager$"],
                      check=False)
            return bool(r.stdout.split())

        first = Launch(env, tmp_path / "first.log", "--minimized")  # in the tray, hidden
        launches.append(first)
        first.wait_listening()
        assert not shown()
        second = launch_once(env)
        assert second.returncode == 0, second.stderr
        assert "already running; raised its window" in second.stderr
        # The first answers once its window was raised: it is on the screen now.
        wait_until("the first instance's window on the screen", shown, first.log)
        assert first.proc.poll() is None
    finally:
        x.stop()


def old_tmp_name(home: Path) -> Path:
    """Where the app once listened: a name in /tmp anyone could compute and take first."""
    import getpass
    import hashlib

    where = str(home.resolve())
    digest = hashlib.sha256(f"{getpass.getuser()}\0{where}".encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"tokenmgr-{digest}"


def test_one_instance_per_home(tmp_path: Path, launches: list[Launch]) -> None:
    first = Launch(app_env(tmp_path, "home-a"), tmp_path / "a.log")
    launches.append(first)
    first.wait_listening()
    # Another home: an instance of its own, with a server of its own.
    other = Launch(app_env(tmp_path, "home-b"), tmp_path / "b.log")
    launches.append(other)
    other.wait_listening()
    assert other.socket != first.socket
    assert other.proc.poll() is None and first.proc.poll() is None
    # The first home again: handed over.
    again = launch_once(app_env(tmp_path, "home-a"))
    assert again.returncode == 0 and "already running" in again.stderr, again.stderr
    assert "another launch asked to raise the window" not in other.log.read_text()
    assert first.stop() == 0 and other.stop() == 0
    assert not first.socket.exists() and not other.socket.exists()  # removed at quit


def test_the_socket_is_in_a_private_directory_never_in_tmp(
    tmp_path: Path, launches: list[Launch]
) -> None:
    env = app_env(tmp_path)
    first = Launch(env, tmp_path / "first.log")
    launches.append(first)
    first.wait_listening()
    assert first.socket.parent == tmp_path / "run" / "tokenmgr"
    assert stat.S_IMODE(first.socket.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.socket.stat().st_mode) == 0o600
    assert not old_tmp_name(tmp_path / "home").exists()
    # Without a runtime directory: under the home, in a directory of its own.
    env2 = app_env(tmp_path, "home2")
    del env2["XDG_RUNTIME_DIR"]
    second = Launch(env2, tmp_path / "second.log")
    launches.append(second)
    second.wait_listening()
    assert second.socket == tmp_path / "home2" / "run" / "instance.sock"
    assert stat.S_IMODE(second.socket.parent.stat().st_mode) == 0o700


# ------------------------------------------------------------ another local user

# The other user's listener: accepts one connection on the socket path given, answers
# like an instance would, and says on stdout what it was sent.
SQUATTER = textwrap.dedent(
    """
    import os, socket, sys
    path = sys.argv[1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(4)
    print("listening", flush=True)
    conn, _ = s.accept()
    conn.settimeout(10)
    try:
        data = conn.recv(64)
        conn.sendall(b"raised\\n")
    except OSError:
        data = b""
    print(repr(data), flush=True)
    """
)


def shared_dir(mode: int = 0o777) -> Path:
    """A directory the other user can enter and write (like /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="tokenmgr-other-"))
    path.chmod(mode)
    return path


def as_other_user(args: list[str], **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(args, user=NOBODY, group=NOBODY, text=True,  # type: ignore[call-overload]
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@as_root
def test_another_user_squatting_the_old_tmp_name_stops_nothing(
    tmp_path: Path, launches: list[Launch]
) -> None:
    """The name the app once listened on in /tmp, taken by another user first."""
    env = app_env(tmp_path)
    squat_path = old_tmp_name(tmp_path / "home")
    squatter = as_other_user([OTHER_PYTHON, "-c", SQUATTER, str(squat_path)])
    try:
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        first = Launch(env, tmp_path / "first.log")
        launches.append(first)
        first.wait_listening()
        assert first.proc.poll() is None  # running, not "already running"
    finally:
        squatter.kill()
        squatter.wait()
        squat_path.unlink(missing_ok=True)


@as_root
def test_a_runtime_directory_of_another_user_is_not_used(
    tmp_path: Path, launches: list[Launch]
) -> None:
    """XDG_RUNTIME_DIR names a directory the other user made (and listens in, at the very
    name the app would use): the app runs, with its socket under its home."""
    shared = shared_dir()
    runtime = shared / "run"
    squatter = None
    try:
        subprocess.run(["install", "-d", "-m", "0700", "-o", str(NOBODY), "-g", str(NOBODY),
                        str(runtime), str(runtime / "tokenmgr")], check=True)
        env = app_env(tmp_path, XDG_RUNTIME_DIR=str(runtime))
        home = Path(env["TOKENMGR_HOME"])
        import hashlib

        name = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:24]
        squatter = as_other_user(
            [OTHER_PYTHON, "-c", SQUATTER, str(runtime / "tokenmgr" / f"{name}.sock")])
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        first = Launch(env, tmp_path / "first.log")
        launches.append(first)
        assert first.socket == home / "run" / "instance.sock"
        first.wait_listening()
        assert first.proc.poll() is None
    finally:
        if squatter is not None:
            squatter.kill()
            squatter.wait()
        subprocess.run(["rm", "-rf", str(shared)], check=False)


@as_root
def test_the_instance_refuses_another_user(qtbot, tmp_path: Path) -> None:
    """The other user reaches the socket (its directory opened up for the test) and asks
    for a raise: the connection is closed unanswered, and nothing is raised."""
    shared = shared_dir(0o755)
    home = shared / "home"
    home.mkdir(mode=0o700)
    instance = SingleInstance(home, {"XDG_RUNTIME_DIR": ""})
    raised: list[bool] = []
    instance.raise_requested.connect(lambda: raised.append(True))
    try:
        assert instance.claim() and instance.listening
        assert instance.path is not None
        for opened, mode in ((instance.path, 0o777), (home / "run", 0o755), (home, 0o755)):
            opened.chmod(mode)
        asker = as_other_user([OTHER_PYTHON, "-c", textwrap.dedent(f"""
            import socket
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(20)
            s.connect({str(instance.path)!r})
            try:
                s.sendall({RAISE!r})
                print(repr(s.recv(64)) or "b''", flush=True)
            except (ConnectionResetError, BrokenPipeError):
                print("b''", flush=True)  # closed before it read what was sent
        """)])
        qtbot.waitUntil(lambda: asker.poll() is not None, timeout=WAIT_S * 1000)
        out, err = asker.communicate()
        assert out.strip() == "b''", err  # closed, no "raised"
        assert raised == []
    finally:
        instance.close()
        subprocess.run(["rm", "-rf", str(shared)], check=False)


@as_root
def test_a_launch_never_hands_over_to_another_user(tmp_path: Path) -> None:
    """Whatever put another user's listener where the instance should be, the launch
    does not talk to it."""
    shared = shared_dir()
    path = shared / "instance.sock"
    squatter = as_other_user([OTHER_PYTHON, "-c", SQUATTER, str(path)])
    try:
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        instance = SingleInstance(tmp_path, {})
        instance.path = path
        assert instance.hand_over(timeout_s=5) is False
        squatter.wait(WAIT_S)
        assert squatter.stdout.read().strip() == "b''"  # it was sent nothing
    finally:
        squatter.kill()
        squatter.wait()
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def test_peer_uid_is_this_user_for_a_connection_of_its_own(tmp_path: Path) -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        from tokenmgr.gui.single_instance import peer_uid

        assert peer_uid(a) == os.getuid()
