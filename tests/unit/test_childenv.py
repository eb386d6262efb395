"""Programs the app starts get the environment the user started it with (core/childenv):
the frozen bundle's library path, Qt plugin path and bookkeeping are given back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenmgr.core import childenv


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    childenv.reset()
    yield
    childenv.reset()


def _start_bundle(user: dict[str, str]) -> dict[str, str]:
    """The environment as the bootloader and the runtime hooks leave it."""
    env = dict(user)
    if "LD_LIBRARY_PATH" in user:
        env["LD_LIBRARY_PATH_ORIG"] = user["LD_LIBRARY_PATH"]
    env["LD_LIBRARY_PATH"] = "/opt/tokenmgr/_internal"
    env["_PYI_ARCHIVE_FILE"] = "/opt/tokenmgr/tokenmgr"
    env["_PYI_PARENT_PROCESS_LEVEL"] = "1"
    childenv.remember_start(env)
    env["QT_PLUGIN_PATH"] = "/opt/tokenmgr/_internal/PySide6/Qt/plugins"
    env["QML2_IMPORT_PATH"] = "/opt/tokenmgr/_internal/PySide6/Qt/qml"
    env["PYSIDE6_OPTION_PYTHON_ENUM"] = "True"
    childenv.remember_bundle(env)
    return env


def test_outside_the_bundle_nothing_changes() -> None:
    env = {"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/mine", "QT_PLUGIN_PATH": "/q"}
    assert childenv.for_children(env) == env


def test_children_get_none_of_the_bundles_variables() -> None:
    user = {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8"}
    env = _start_bundle(user)
    assert childenv.for_children(env) == user


def test_the_users_own_values_come_back() -> None:
    user = {"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/home/u/lib", "QT_PLUGIN_PATH": "/home/u/qt"}
    env = _start_bundle(user)
    assert env["QT_PLUGIN_PATH"] != user["QT_PLUGIN_PATH"]
    assert childenv.for_children(env) == user


def test_what_the_app_changed_later_stays_changed() -> None:
    user = {"PATH": "/usr/bin", "TOKENMGR_PASSPHRASE": "secret"}
    env = _start_bundle(user)
    del env["TOKENMGR_PASSPHRASE"]  # taken out of the environment at start-up
    env["QT_PLUGIN_PATH"] = "/set/by/the/app"
    children = childenv.for_children(env)
    assert "TOKENMGR_PASSPHRASE" not in children
    assert children["QT_PLUGIN_PATH"] == "/set/by/the/app"
