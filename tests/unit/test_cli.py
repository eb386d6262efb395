"""The CLI contract, in-process against an in-memory keyring."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import CliRunner, run_cli
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

ROOT = Path(__file__).resolve().parents[2]


def _jwt(claims: dict[str, object]) -> str:
    def seg(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'RS256', 'typ': 'JWT'})}.{seg(claims)}.c2ln"


def test_add_get_every_format(cli: CliRunner) -> None:
    r = cli("add", "github", "--service", "GitHub", stdin="ghp_abc123\n")
    assert r.status == 0, r
    assert r.out == ""  # messages go to stderr only
    assert "ghp_abc123" not in r.err
    assert cli("get", "github").out == "ghp_abc123\n"
    assert cli("get", "github", "--format", "header").out == "Authorization: Bearer ghp_abc123\n"
    assert cli("get", "github", "--format", "env").out == "export GITHUB_TOKEN=ghp_abc123\n"
    assert cli("get", "github", "--format", "env", "--shell", "fish").out == (
        "set -gx GITHUB_TOKEN ghp_abc123\n"
    )
    assert cli("get", "github", "--format", "dotenv").out == "GITHUB_TOKEN=ghp_abc123\n"
    doc = json.loads(cli("get", "github", "--format", "json").out)
    assert doc["name"] == "github" and doc["token"] == "ghp_abc123"
    assert doc["scheme"] == "Bearer" and doc["env_var"] == "GITHUB_TOKEN"
    assert doc["expires_at"] is None
    assert list(doc)[:5] == ["name", "token", "scheme", "env_var", "expires_at"]
    assert doc["report"]["kind"] == "opaque"


def test_default_shell_follows_SHELL(cli: CliRunner) -> None:
    cli("add", "a", stdin="x")
    r = cli("get", "a", "--format", "env", env={"SHELL": "/usr/bin/fish"})
    assert r.out == "set -gx A_TOKEN x\n"


def test_crlf_stdin_is_stripped_once(cli: CliRunner) -> None:
    assert cli("add", "a", stdin="tok\r\n").status == 0
    assert cli("get", "a").out == "tok\n"


def test_add_from_prompt(cli: CliRunner) -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "typed-token"

    assert cli("add", "p", tty=True, ask=ask).status == 0
    assert prompts == ["Token for p: "]
    assert cli("get", "p").out == "typed-token\n"


def test_jwt_expiry_recorded_without_reading_secrets(
    cli: CliRunner, vault: Vault, memkeyring: MemoryKeyring
) -> None:
    exp = int(time.time()) + 3600
    cli("add", "jwt", stdin=_jwt({"sub": "u", "exp": exp, "iat": exp - 7200}))
    cli("add", "opaque", "--expires-at", "2001-01-01T00:00:00Z", stdin="x")
    memkeyring.gets = 0
    rows = json.loads(cli("list", "--json").out)
    assert memkeyring.gets == 0
    assert [r["name"] for r in rows] == ["jwt", "opaque"]
    assert rows[0]["status"] == "valid"
    assert rows[0]["expires_at"] is not None
    assert rows[1]["status"] == "expired"
    # The documented keys, in their order, then the hosts it serves and what its
    # provider said (after them).
    assert list(rows[0]) == [
        *("name", "kind", "service", "env_var", "scheme", "expires_at", "status"),
        *("hosts", "refused_by", "expiry_source", "verdict", "checked_at"),
    ]
    assert [r["expiry_source"] for r in rows] == ["token", "typed"]


def test_list_human(cli: CliRunner) -> None:
    assert cli("list").out == ""
    cli("add", "a", "--service", "Svc", stdin="x")
    out = cli("list").out.splitlines()
    assert out[0].split() == [
        *("NAME", "KIND", "SERVICE", "ENV", "VAR", "EXPIRES", "FROM", "STATUS"),
    ]
    assert out[1].split() == ["a", "static", "Svc", "A_TOKEN", "-", "-", "unknown"]


def test_export_all_and_named(cli: CliRunner) -> None:
    cli("add", "b", stdin="two words")
    cli("add", "a", stdin="one")
    assert cli("export").out == "export A_TOKEN=one\nexport B_TOKEN='two words'\n"
    assert cli("export", "b", "--shell", "powershell").out == "$env:B_TOKEN = 'two words'\n"


def test_export_unknown_prints_nothing(cli: CliRunner) -> None:
    cli("add", "a", stdin="one")
    r = cli("export", "a", "nope")
    assert r.status == 3 and r.out == ""


def test_unknown_name_is_3(cli: CliRunner) -> None:
    r = cli("get", "nope")
    assert r.status == 3 and r.out == "" and "nope" in r.err
    assert cli("rm", "nope").status == 3


def test_duplicate_add_keeps_old_value(cli: CliRunner) -> None:
    cli("add", "a", stdin="old")
    r = cli("add", "a", stdin="new")
    assert r.status == 1 and "--force" in r.err
    assert cli("get", "a").out == "old\n"
    assert cli("add", "a", "--force", stdin="new").status == 0
    assert cli("get", "a").out == "new\n"


def test_invalid_env_var_is_2(cli: CliRunner, memkeyring: MemoryKeyring) -> None:
    r = cli("add", "a", "--env-var", "1BAD", stdin="x")
    assert r.status == 2 and "environment variable" in r.err
    assert memkeyring.items == {}


def test_token_as_argument_is_refused_without_echo(
    cli: CliRunner, memkeyring: MemoryKeyring
) -> None:
    r = cli("add", "a", "ghp_SECRETSECRET", stdin="x")
    assert r.status == 2
    assert "ghp_SECRETSECRET" not in r.err
    assert "never taken as arguments" in r.err
    assert memkeyring.items == {}


@pytest.mark.parametrize("data", [b"", b"\n", b"\r\n", b"a\nb", b"a\rb\n", b"a\n\n", b"\xff\xfe"])
def test_bad_stdin_token_is_1(cli: CliRunner, memkeyring: MemoryKeyring, data: bytes) -> None:
    r = cli("add", "a", stdin=data)
    assert r.status == 1, r
    assert "nothing was stored" in r.err
    assert memkeyring.items == {}


def test_corrupted_index_is_1_and_kept(cli: CliRunner, vault: Vault) -> None:
    vault.home.mkdir(parents=True)
    vault.index.path.write_bytes(b'{"schema": 1, "entries": [')
    for args in (["list"], ["get", "a"], ["add", "a"]):
        r = cli(*args, stdin="x")
        assert r.status == 1, r
        assert str(vault.index.path) in r.err and "Traceback" not in r.err
    assert vault.index.path.read_bytes() == b'{"schema": 1, "entries": ['


def test_locked_keyring_is_4_and_index_untouched(
    cli: CliRunner, vault: Vault, memkeyring: MemoryKeyring
) -> None:
    cli("add", "a", stdin="x")
    before = vault.index.path.read_bytes()
    memkeyring.locked = True
    for args in (["add", "b"], ["get", "a"], ["rm", "a"], ["add", "a", "--force"]):
        # a new Vault per command, as each CLI run is a new process
        cli.vault = Vault(home=vault.home, store=KeyringStore(vault.home, backend=memkeyring))
        r = cli(*args, stdin="y")
        assert r.status == 4, r
        assert "locked" in r.err and "TOKENMGR_STORE=file" in r.err
    assert vault.index.path.read_bytes() == before
    # only the first, successful add wrote anything (the index, its lock files, the keyring marker)
    written = ["entries.json", "entries.lock", "keyring.json", "locks"]
    assert sorted(p.name for p in vault.home.iterdir()) == written


def test_keyring_locked_in_a_long_lived_process(vault: Vault, memkeyring: MemoryKeyring) -> None:
    """The GUI's vault probed once; a keyring locked later fails at the write, the index
    is untouched, and the journal left behind is reconciled once it is unlocked."""
    vault.add("a", "tok-a")
    before = vault.index.path.read_bytes()
    memkeyring.locked = True
    with pytest.raises(StorageUnavailable):
        vault.add("b", "tok-b")
    assert vault.index.path.read_bytes() == before
    memkeyring.locked = False
    vault.add("c", "tok-c")
    assert not (vault.home / "pending.json").exists()
    assert [e.name for e in vault.list_entries()] == ["a", "c"]
    assert "b/access" not in {user for _, user in memkeyring.items}


def test_rm_removes_secret_and_entry(cli: CliRunner, memkeyring: MemoryKeyring) -> None:
    cli("add", "a", stdin="x")
    assert cli("rm", "a").status == 0
    assert memkeyring.items == {}
    assert cli("get", "a").status == 3


def test_rm_revoke_on_static_says_so(cli: CliRunner) -> None:
    cli("add", "a", stdin="x")
    r = cli("rm", "a", "--revoke")
    assert r.status == 0 and "revoke it at its provider" in r.err


def test_secret_missing_from_store(cli: CliRunner, memkeyring: MemoryKeyring) -> None:
    cli("add", "a", stdin="x")
    memkeyring.items.clear()
    r = cli("get", "a")
    assert r.status == 1 and "--force" in r.err and r.out == ""


def test_usage_errors_are_2(cli: CliRunner) -> None:
    assert cli("get").status == 2
    assert cli("get", "a", "--format", "xml").status == 2
    assert cli("frobnicate").status == 2
    assert cli("exec", "a").status == 2
    assert cli("exec", "--", "true").status == 2
    assert cli("add", "bad name", stdin="x").status == 2
    assert cli("add", "a", "--expires-at", "tomorrow", stdin="x").status == 2


def test_header_refuses_crlf_scheme(cli: CliRunner) -> None:
    assert cli("add", "a", "--scheme", "Bearer\r\nX: y", stdin="x").status == 2


def test_refresh_of_unknown_or_static_entry(cli: CliRunner) -> None:
    assert cli("refresh", "nope").status == 3
    cli("add", "a", stdin="x")
    r = cli("refresh", "a")
    assert r.status == 2 and "static" in r.err and r.out == ""


def test_export_reads_the_index_once_and_one_secret_each(
    cli: CliRunner, vault: Vault, memkeyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in ("a", "b", "c"):
        cli("add", n, stdin=f"tok-{n}")
    reads: list[int] = []
    real_read = type(vault.index.path).read_bytes

    def counting_read(path: object) -> bytes:
        if path == vault.index.path:
            reads.append(1)
        return real_read(path)  # type: ignore[arg-type]

    monkeypatch.setattr(type(vault.index.path), "read_bytes", counting_read)
    memkeyring.gets = 0
    assert cli("export").out.count("export ") == 3
    assert len(reads) == 1 and memkeyring.gets == 3


def test_a_store_that_answered_is_not_probed_again(vault: Vault, memkeyring: MemoryKeyring) -> None:
    vault.add("a", "tok-a")  # probe (1 read) + write
    memkeyring.gets = 0
    vault.add("b", "tok-b")  # the same process: no probe read
    assert memkeyring.gets == 0


def test_doctor_json(cli: CliRunner) -> None:
    r = cli("doctor", "--json")
    doc = json.loads(r.out)
    assert doc["store"]["available"] is True
    assert doc["store"]["secure"] is True
    assert doc["index"]["path"].endswith("entries.json")
    assert r.status == 0


def test_doctor_reports_locked_keyring(cli: CliRunner, memkeyring: MemoryKeyring) -> None:
    memkeyring.locked = True
    r = cli("doctor")
    assert r.status == 4
    assert "locked" in r.out


def test_import_cli_is_light() -> None:
    code = (
        "import sys, tokenmgr.cli\n"
        "heavy = [m for m in ('PySide6', 'requests', 'keyring', 'jwt', 'cryptography')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_imports_no_keyring(tmp_path: object) -> None:
    code = (
        "import sys\nfrom tokenmgr.cli import main\nrc = main(['list', '--json'])\n"
        "assert rc == 0, rc\n"
        "heavy = [m for m in ('PySide6', 'requests', 'keyring', 'jwt') if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_static_get_and_list_load_no_oauth_jwt_or_network_code(tmp_path: Path) -> None:
    """`list --json` and `get` of a static token, each in a fresh process as a script runs
    them: neither imports the OAuth engine, the JWT inspector, the key cache, an HTTP
    client, the keyring package or Qt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(TOKENMGR_HOME=str(tmp_path / "h"), TOKENMGR_STORE="file", PYTHONPATH=str(ROOT))
    assert (
        run_cli(["add", "st"], {**env, "TOKENMGR_PASSPHRASE": "pw"}, "ghp_st4tic").returncode == 0
    )
    heavy = (
        "tokenmgr.core.oauth",
        "tokenmgr.core.jwt_inspect",
        "tokenmgr.core.jwks",
        "tokenmgr.gui",
        "requests",
        "jwt",
        "http.client",
        "urllib.request",
        "keyring",
        "PySide6",
    )
    for args, out in ((["list", "--json"], '"name": "st"'), (["get", "st"], "ghp_st4tic\n")):
        code = (
            "import sys\nfrom tokenmgr.cli import Environment, main\n"
            f"assert main({args!r}, Environment(passphrase='pw')) == 0\n"
            f"loaded = [m for m in sys.modules if m.startswith({heavy!r})]\n"
            "sys.stderr.write(repr(loaded))"
        )
        r = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        assert out in r.stdout
        assert r.stderr == "[]", (args, r.stderr)


# ------------------------------------------------------------- pasted prefixes


@pytest.mark.parametrize(
    "pasted",
    [
        "Bearer ghp_abc123",
        "bearer ghp_abc123",
        "BEARER\tghp_abc123",
        "Authorization: Bearer ghp_abc123",
        "authorization:bearer  ghp_abc123",
    ],
)
def test_add_strips_a_pasted_bearer_prefix_and_says_so(cli: CliRunner, pasted: str) -> None:
    r = cli("add", "gh", stdin=pasted + "\n")
    assert r.status == 0, r
    assert "note: removed" in r.err and "pasted in front of the token" in r.err
    assert "ghp_abc123" not in r.err and r.out == ""
    assert cli("get", "gh").out == "ghp_abc123\n"
    assert cli("get", "gh", "--format", "header").out == "Authorization: Bearer ghp_abc123\n"


def test_add_strips_the_entrys_own_scheme(cli: CliRunner) -> None:
    r = cli("add", "gh", "--scheme", "token", stdin="Token ghp_abc123")
    assert r.status == 0 and "note: removed 'Token'" in r.err
    assert cli("get", "gh", "--format", "header").out == "Authorization: token ghp_abc123\n"


def test_a_pasted_jwt_with_its_prefix_keeps_its_expiry(cli: CliRunner, vault: Vault) -> None:
    exp = int(time.time()) + 3600
    assert cli("add", "jwt", stdin="Authorization: Bearer " + _jwt({"exp": exp})).status == 0
    entry = vault.entry("jwt")
    assert entry.expires_at is not None and int(entry.expires_at.timestamp()) == exp
    assert entry.report is not None and entry.report["kind"] == "jws"


@pytest.mark.parametrize("pasted", ["two words", "token ghp_abc", "x Bearer y", "Bearerghp_abc"])
def test_add_keeps_text_that_is_no_pasted_prefix(cli: CliRunner, pasted: str) -> None:
    r = cli("add", "a", stdin=pasted)
    assert r.status == 0 and "note:" not in r.err
    assert cli("get", "a").out == pasted + "\n"


@pytest.mark.parametrize("pasted", ["Bearer \n", "Authorization: Bearer   \n"])
def test_a_prefix_with_no_token_after_it_is_refused(
    cli: CliRunner, memkeyring: MemoryKeyring, pasted: str
) -> None:
    r = cli("add", "a", stdin=pasted)
    assert r.status == 1, r
    assert "no token after it" in r.err and "nothing was stored" in r.err
    assert memkeyring.items == {}


# ---------------------------------------------------------------------- mv


def test_mv_renames_an_entry(cli: CliRunner, vault: Vault, memkeyring: MemoryKeyring) -> None:
    cli("add", "old", "--service", "Svc", "--note", "keep me", stdin="tok-old")
    r = cli("mv", "old", "new")
    assert r.status == 0, r
    assert r.out == "" and r.err == "tokenmgr: renamed 'old' to 'new' (env var OLD_TOKEN kept)\n"
    assert cli("get", "new").out == "tok-old\n"
    assert cli("get", "old").status == 3
    rows = json.loads(cli("list", "--json").out)
    assert [(x["name"], x["service"], x["env_var"]) for x in rows] == [("new", "Svc", "OLD_TOKEN")]
    assert vault.entry("new").note == "keep me"
    assert len(memkeyring.items) == 1  # the one secret, under the new name only
    assert vault.store.get("old", "access") is None


def test_mv_refusals_change_nothing(cli: CliRunner, vault: Vault) -> None:
    cli("add", "a", stdin="tok-a")
    cli("add", "b", stdin="tok-b")
    before = vault.index.path.read_bytes()
    for args, status, text in [
        (("mv", "nope", "c"), 3, "no entry named 'nope'"),
        (("mv", "a", "b"), 1, "an entry named 'b' exists"),
        (("mv", "a", "a"), 2, "already has that name"),
        (("mv", "a", "bad name"), 2, "invalid name"),
        (("mv", "a", "ghp_" + "x" * 36), 2, "looks like a token"),
        (("mv", "a"), 2, "NEW"),
    ]:
        r = cli(*args)
        assert r.status == status, (args, r)
        assert text in r.err and r.out == "" and "ghp_xxx" not in r.err
    assert vault.index.path.read_bytes() == before
    assert cli("get", "a").out == "tok-a\n" and cli("get", "b").out == "tok-b\n"


def test_mv_on_a_locked_keyring_is_4(
    cli: CliRunner, vault: Vault, memkeyring: MemoryKeyring
) -> None:
    cli("add", "a", stdin="tok-a")
    before = vault.index.path.read_bytes()
    memkeyring.locked = True
    cli.vault = Vault(home=vault.home, store=KeyringStore(vault.home, backend=memkeyring))
    r = cli("mv", "a", "b")
    assert r.status == 4 and "locked" in r.err
    assert vault.index.path.read_bytes() == before


def test_help_lists_mv(cli: CliRunner, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli("--help")
    assert stopped.value.code == 0
    assert "mv        rename an entry" in capsys.readouterr().out


def test_list_builds_no_entries(tmp_path: Path) -> None:
    """`list --json` reads the index as it is (the rules alone): neither the data model
    nor the vault, nor dataclasses' machinery, is loaded for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(TOKENMGR_HOME=str(tmp_path / "h"), TOKENMGR_STORE="file", PYTHONPATH=str(ROOT))
    assert run_cli(["add", "st"], {**env, "TOKENMGR_PASSPHRASE": "pw"}, "tok-123").returncode == 0
    code = (
        "import sys\nfrom tokenmgr.cli import main\n"
        "assert main(['list', '--json']) == 0\n"
        "sys.stderr.write(repr([m for m in ('tokenmgr.core.entries', 'tokenmgr.core.vault',"
        " 'dataclasses') if m in sys.modules]))"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and '"name": "st"' in r.stdout, r.stderr
    assert r.stderr == "[]"
