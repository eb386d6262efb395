"""No secret in `repr`: every dataclass in `tokenmgr.core` (and the CLI's Environment),
filled with canary values, shows none of its secret-bearing fields.

A field is secret-bearing when its name ends in one of SECRET_WORDS (`client_secret`,
`device_code`, `code`, `token`, `env`, ...) or its type is TokenSet. Names that only
start with such a word (`token_url`, `code_challenge_methods`, `id_token_issuers`) are
endpoints and settings, not secrets. NOT_SECRET lists the few exceptions, with why.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import tokenmgr.cli
import tokenmgr.core

SECRET_WORDS = {"token", "secret", "code", "passphrase", "password", "env", "environ"}
NOT_SECRET = {
    # Printed on stderr by design (the CLI contract: `User code: <code>`), typed in by the user.
    ("DeviceAuthorization", "user_code"): "shown to the user",
}
# What the walk must find: if one of these is renamed or moves, this test says so.
EXPECTED_SECRETS = {
    ("tokenmgr.core.oauth.signin", "SignInRequest", "client_secret"),
    ("tokenmgr.core.oauth.flows", "DeviceAuthorization", "device_code"),
    ("tokenmgr.core.oauth.loopback", "Callback", "code"),
}


def _modules() -> list[str]:
    names = ["tokenmgr.core"]
    for info in pkgutil.walk_packages(tokenmgr.core.__path__, prefix="tokenmgr.core."):
        names.append(info.name)
    names.append("tokenmgr.cli")
    for info in pkgutil.walk_packages(tokenmgr.cli.__path__, prefix="tokenmgr.cli."):
        names.append(info.name)
    return names


def _dataclasses() -> list[type[Any]]:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and dataclasses.is_dataclass(obj):
                found.append(obj)
    return found


def is_secret(cls: type[Any], f: dataclasses.Field[Any]) -> bool:
    if (cls.__name__, f.name) in NOT_SECRET:
        return False
    if "TokenSet" in str(f.type):
        return True
    return f.name.lower().rsplit("_", 1)[-1] in SECRET_WORDS


def canary(cls: type[Any], f: dataclasses.Field[Any]) -> str:
    return f"CANARY-{cls.__name__}-{f.name}-7f3a"


def filled(cls: type[Any]) -> Any:
    """An instance whose every field holds its canary (no __init__/__post_init__ checks)."""
    obj = cls.__new__(cls)
    for f in dataclasses.fields(cls):
        object.__setattr__(obj, f.name, canary(cls, f))
    return obj


ALL = _dataclasses()


def test_the_walk_finds_the_secret_bearing_fields() -> None:
    flagged = {
        (cls.__module__, cls.__name__, f.name)
        for cls in ALL
        for f in dataclasses.fields(cls)
        if is_secret(cls, f)
    }
    assert flagged >= EXPECTED_SECRETS
    assert len(ALL) >= 10


@pytest.mark.parametrize("cls", ALL, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_no_secret_field_in_repr(cls: type[Any]) -> None:
    obj = filled(cls)
    shown = repr(obj) + "\n" + str(obj)
    for f in dataclasses.fields(cls):
        value = canary(cls, f)
        if is_secret(cls, f):
            assert value not in shown, f"{cls.__name__}.{f.name} is shown by repr()"
        elif f.repr and cls.__dataclass_params__.repr:  # type: ignore[attr-defined]
            # The control: the generated repr does show fields, so the absence above means
            # something (and a canary that can never appear would prove nothing).
            assert value in shown, f"{cls.__name__}.{f.name} missing from repr()"


def test_environment_repr_hides_the_process_environment() -> None:
    import io

    from tokenmgr.cli.context import Environment

    env = Environment(
        stdin=io.BytesIO(),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        env={"GITHUB_TOKEN": "ghp_ENV_CANARY_123456", "TOKENMGR_PASSPHRASE": "pp-CANARY"},
        passphrase="pp-CANARY",
    )
    assert "ghp_ENV_CANARY_123456" not in repr(env) and "pp-CANARY" not in repr(env)


def test_tokenset_is_masked() -> None:
    from tokenmgr.core.entries import TokenSet

    t = TokenSet(access="acc-CANARY", refresh="ref-CANARY", id="id-CANARY", client_secret="cs-C")
    assert "CANARY" not in repr(t) and "cs-C" not in repr(t) and "CANARY" not in str(t)


def test_the_cli_environment_shows_neither_the_process_environment_nor_the_passphrase() -> None:
    """`Environment` (a plain class) keeps what could carry a secret out of its repr."""
    import io

    from tokenmgr.cli.context import Environment

    env = Environment(
        stdin=io.BytesIO(),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        env={"GITHUB_TOKEN": "CANARY-environ-7f3a"},
        passphrase="CANARY-passphrase-7f3a",
    )
    assert "CANARY" not in repr(env) + str(env)
