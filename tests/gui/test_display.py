"""gui/display: whether a window can open, asked before Qt (no Qt here)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tokenmgr.gui.display import NO_DISPLAY, display_problem


def test_neither_display_is_the_no_display_sentence() -> None:
    assert display_problem({}, platform="linux") == NO_DISPLAY


@pytest.mark.parametrize("qpa", ["offscreen", "minimal", "offscreen:fontengine=freetype"])
def test_a_platform_without_a_display_server_needs_none(qpa: str) -> None:
    assert display_problem({"QT_QPA_PLATFORM": qpa}, platform="linux") is None


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_other_systems_are_left_to_qt(platform: str) -> None:
    assert display_problem({}, platform=platform) is None


@pytest.mark.parametrize("where", ["socket", "host"])
def test_an_x_display_nobody_answers_is_named(tmp_path: Path, where: str) -> None:
    # A socket path nobody listens on; a host name that cannot even be looked up.
    display = f"{tmp_path}/nothing:7" if where == "socket" else "x" * 70 + ":0"
    problem = display_problem({"DISPLAY": display}, platform="linux")
    assert problem is not None and problem.startswith(f"cannot open the display {display} ")


def test_an_x_server_that_answers_on_its_socket(tmp_path: Path) -> None:
    path = tmp_path / "X5"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(1)
        assert display_problem({"DISPLAY": f"{path}:5"}, platform="linux") is None


def test_a_wayland_socket_in_the_runtime_dir(tmp_path: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}
    problem = display_problem(env, platform="linux")
    assert problem is not None and "wayland-0" in problem
    (tmp_path / "wayland-0").touch()
    assert display_problem(env, platform="linux") is None


def test_another_platform_plugin_is_left_to_qt() -> None:
    assert display_problem({"DISPLAY": ":99", "QT_QPA_PLATFORM": "eglfs"},
                           platform="linux") is None
