"""Remake the README screenshots from a demo vault: `make screenshots`.

    .venv/bin/python tests/screenshots/make_screenshots.py [--out docs/screenshots]

Starts Xvfb with openbox as the window manager, trayer as the tray host and
gnome-keyring's Secret Service on a private bus, fills a throw-away TOKENMGR_HOME
through the CLI with realistic fake tokens (a GitHub PAT, a JWT access token with
claims expiring in 3 h, one expiring in minutes, an expired one, …), runs the real
app (`tokenmgr gui`), drives it with xdotool like a user, and captures with
ImageMagick's `import`:

- main-window.png  the list with the JWT selected and its details;
- add-dialog.png   the add dialog with a pasted token being decoded;
- tray-menu.png    the open tray menu with a token's submenu;
- sign-in.png      the embedded sign-in window on the provider's own page (the test
                   oidc-provider, tests/oidc-server), above the "Sign in to a provider"
                   dialog;
- sign-in-refused.png  that dialog after the provider refused an unknown client id;
- sign-in-lookalike.png  the sign-in window at a look-alike host (`xn--gthub-n4a.com`,
                   shown as punycode) whose certificate is refused ("Not secure");
- device-sign-in.png  the device sign-in window with its user code.

QtWebEngine runs with its sandbox off here only because this runs as root in CI-like
machines (QTWEBENGINE_DISABLE_SANDBOX=1 in the app's environment for this script).

Nothing here touches the user's keyring, index or display.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.cli import run_cli  # noqa: E402
from tests.support.oidc_server import start_server  # noqa: E402
from tests.support.secret_service import SecretServiceSession  # noqa: E402
from tests.support.xvfb import XServer  # noqa: E402

WAIT_S = 60
SETTLE_S = 1.5  # let the window finish painting before a capture
DESKTOP = 0x4A5A6E  # a quiet slate desktop behind the tray menu
PANEL_WIDTH = 420  # a panel strip, so the tray reads as a tray


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def fake_jwt(claims: dict[str, object], kid: str = "2024-10-k1") -> str:
    header = b64({"alg": "RS256", "typ": "at+jwt", "kid": kid})
    signature = base64.urlsafe_b64encode(os.urandom(256)).rstrip(b"=").decode()
    return f"{header}.{b64(claims)}.{signature}"


def demo_entries(now: int) -> list[tuple[list[str], str]]:
    """(CLI arguments, token) for each demo entry. All values are made up."""
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    access = fake_jwt({
        "iss": "https://login.acme.example/",
        "sub": "auth0|6541f0c2a1b9",
        "aud": ["https://api.acme.example", "https://login.acme.example/userinfo"],
        "azp": "tokenmgr-desktop",
        "scope": "openid profile read:orders write:orders",
        "iat": now - 60 * 40,
        "exp": now + 3 * 3600 + 12 * 60,
        "jti": "b7f4c1e0-6a2d-4f3e-9c51-2d8e7a90f1aa",
    })
    expiring = fake_jwt({
        "iss": "https://sts.windows.example/9188040d/",
        "sub": "deploy-bot",
        "aud": "api://deployments",
        "iat": now - 3600 + 4 * 60,
        "exp": now + 4 * 60 + 20,
    })
    return [
        (["add", "acme-api", "--service", "Acme", "--env-var", "ACME_TOKEN",
          "--note", "Staging API, signed in as ops@acme.example"], access),
        (["add", "deploy-bot", "--service", "Azure"], expiring),
        (["add", "github-ci", "--service", "GitHub", "--expires-at", iso(now + 29 * 86400),
          "--note", "Fine-grained PAT for CI (repo: acme/web)"],
         "github_pat_11ABCDEFG0" + "x7Kq2LmN9pR4sT6vW8yZ" * 4),
        (["add", "npm-publish", "--service", "npm"], "npm_Rk4vQ8sLm2Xw9Tz6Nb3Hc1Yd7Fj5Gp0UaQ"),
        (["add", "openai", "--service", "OpenAI", "--env-var", "OPENAI_API_KEY"],
         "sk-proj-" + "T3BlbkFJ" + "q9Xr2Lm8Vn4Ks7Wd1Zb6Yc3Hf5Gj0Pt" * 2),
        (["add", "stripe-legacy", "--service", "Stripe", "--expires-at", iso(now - 2 * 86400)],
         "sk_live_" + "51Hx9QpLmNoPqRsTuVwXyZ0123456789abcdef"),
    ]


class ConnectProxy:
    """An HTTP proxy that answers every CONNECT with a tunnel to 127.0.0.1:`port`."""

    def __init__(self, port: int) -> None:
        import socket
        import threading

        self.port = port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: Any) -> None:
        import socket
        import threading

        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        upstream = socket.create_connection(("127.0.0.1", self.port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a: Any, b: Any) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                b.close()

        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def close(self) -> None:
        self.server.close()


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = Path(tempfile.mkdtemp(prefix="tokenmgr-shots-"))
        self.x = XServer(1280, 800)
        self.ss = SecretServiceSession()
        self.app: subprocess.Popen[bytes] | None = None
        self.oidc: Any = None

    # ------------------------------------------------------------- helpers

    def wait(self, what: str, cond):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            value = cond()
            if value:
                return value
            time.sleep(0.1)
        log = (self.tmp / "app.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"make_screenshots: gave up waiting for {what}\n{log}")

    def xdo(self, *args: str) -> str:
        return self.x.run(["xdotool", *args], check=False).stdout

    def visible(self) -> list[str]:
        return self.xdo("search", "--onlyvisible", "--class", "tokenmgr").split()

    def kind(self, wid: str) -> str:
        return self.x.run(["xprop", "-id", wid, "_NET_WM_WINDOW_TYPE"], check=False).stdout

    def name(self, wid: str) -> str:
        return self.xdo("getwindowname", wid).strip()

    def geometry(self, wid: str) -> tuple[int, int, int, int]:
        out = self.xdo("getwindowgeometry", "--shell", wid)
        v = dict(line.split("=", 1) for line in out.split())
        return int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"])

    def frame(self, wid: str) -> tuple[int, int, int, int]:
        """The window with the window manager's frame around it (x, y, w, h)."""
        x, y, w, h = self.geometry(wid)
        return x - 4, y - 26, w + 8, h + 30

    def window(self, title: str) -> str | None:
        """A visible window of the app titled `title` (Qt may add " — Token Manager")."""
        for wid in self.visible():
            name = self.name(wid)
            if (name == title or name.startswith(title + " — ")) and self.geometry(wid)[2] > 100:
                return wid
        return None

    def popups(self) -> list[str]:
        return [w for w in self.visible() if "POPUP_MENU" in self.kind(w)]

    def tray_icon(self) -> tuple[int, int, int, int] | None:
        for wid in self.visible():
            if "POPUP_MENU" in self.kind(wid) or "TOOLTIP" in self.kind(wid):
                continue
            x, y, w, h = self.geometry(wid)
            if 0 < w <= 48 and 0 < h <= 48 and y < 24:
                return x, y, w, h
        return None

    def capture(self, name: str, *args: str) -> Path:
        time.sleep(SETTLE_S)
        path = self.out / name
        self.x.run(["import", "-quiet", *args, str(path)])
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        return path

    # --------------------------------------------------------------- steps

    def setup(self) -> dict[str, str]:
        self.x.start(tray=True, panel_width=PANEL_WIDTH, window_manager=True)
        self.x.set_background(DESKTOP)
        self.ss.start()
        home = self.tmp / "home"
        env = {k: v for k, v in self.x.env.items() if not k.startswith("TOKENMGR_")}
        env.update(self.ss.env, TOKENMGR_HOME=str(home), SHELL="/bin/bash", LANG="C.UTF-8",
                   TZ="Europe/Berlin")
        now = int(time.time())
        for args, token in demo_entries(now):
            r = run_cli(args, env, stdin=token)
            if r.returncode != 0:
                raise SystemExit(f"make_screenshots: {' '.join(args[:2])}: {r.stderr}")
        (home / "settings.json").write_text(json.dumps({
            "store": "keyring", "tray_note_shown": True, "clear_timeout_s": 30,
        }))
        # The expiry warnings as already given: without a notification daemon here, one
        # would be Qt's balloon at the tray, drawn over the window's top right corner.
        from datetime import timedelta

        from tokenmgr.core.expiry import NotifiedLog, due_warnings
        from tokenmgr.core.index import Index

        entries = list(Index(home).load().values())
        NotifiedLog(home).add(due_warnings(entries, set(), timedelta(days=1)))
        return env

    def start_app(self, env: dict[str, str]) -> str:
        log = (self.tmp / "app.log").open("w")
        self.app = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "--debug", "gui"], cwd=ROOT, env=env, stdout=log,
            stderr=log,
        )
        main = self.wait("the main window", lambda: self.window("Token Manager"))
        self.xdo("windowmove", main, "40", "60")
        self.xdo("windowactivate", "--sync", main)
        self.xdo("windowfocus", "--sync", main)
        return str(main)

    def main_window(self, main: str) -> None:
        # The first row (acme-api, the JWT) is selected at start; its details show.
        # Enter copies its header: the status bar shows the clipboard countdown.
        self.xdo("windowfocus", "--sync", main)
        self.xdo("key", "Return")
        self.wait("the copied header", lambda: self.x.read_selection().startswith("Authorization"))
        self.capture("main-window.png", "-window", main)

    def add_dialog(self, main: str, env: dict[str, str]) -> None:
        pasted = fake_jwt({
            "iss": "https://accounts.example.org",
            "sub": "110248495921238986420",
            "aud": "reports-api",
            "scope": "reports.read",
            "iat": int(time.time()) - 120,
            "exp": int(time.time()) + 3600,
        }, kid="c3a1")
        self.x.write_selection(pasted, "clipboard")
        self.xdo("windowfocus", "--sync", main)
        self.xdo("key", "ctrl+n")
        dialog = self.wait("the add dialog", lambda: self.window("Add a token"))
        self.xdo("windowfocus", "--sync", dialog)
        self.xdo("key", "ctrl+v")  # the paste field is first and focused
        self.capture("add-dialog.png", "-window", dialog)
        self.xdo("key", "Escape")
        self.wait("the dialog to close", lambda: self.window("Add a token") is None)

    def _oauth_dialog(self, main: str, name: str, client: str = "") -> str:
        """Open "Sign in to a provider", fill the generic OIDC page; return the dialog."""
        assert self.oidc is not None
        self.xdo("windowfocus", "--sync", main)
        self.xdo("key", "ctrl+shift+n")
        dialog = self.wait("the sign-in page", lambda: self.window("Sign in to a provider"))
        self.xdo("windowactivate", "--sync", dialog)
        # The fields by their mnemonics; the dialog starts from the last sign-in's values.
        self.xdo("key", "alt+i", "ctrl+a")
        self.xdo("type", "--delay", "5", self.oidc.issuer)
        self.xdo("key", "alt+n", "ctrl+a")
        self.xdo("type", "--delay", "5", name)
        self.xdo("key", "alt+c", "ctrl+a")
        self.xdo("type", "--delay", "5", client or "tokenmgr-native")
        return dialog

    def refused(self, main: str) -> None:
        dialog = self._oauth_dialog(main, "staging-idp", "no-such-client")
        self.xdo("key", "Return")  # "Sign in": the provider refuses the client id
        self.wait("the refusal", lambda: "sign-in: failed" in self.app_log())
        self.capture("sign-in-refused.png", "-window", dialog)
        self.xdo("windowactivate", "--sync", dialog)
        self.xdo("key", "Escape")
        self.wait("the dialog to close", lambda: self.window("Sign in to a provider") is None)

    def app_log(self) -> str:
        return (self.tmp / "app.log").read_text(errors="replace")

    def lookalike(self, env: dict[str, str]) -> None:
        """The sign-in window's process on its own, at https://login.xn--gthub-n4a.com
        (resolved to a local server with a certificate no browser trusts)."""
        from tests.support.pages import Site

        site = Site({"/login/oauth/authorize": (200, "<title>GitHub</title>")}, tls=True)
        proxy = ConnectProxy(int(site.base.rsplit(":", 1)[1]))
        # Every https connection goes to the local server, whatever the host: Chromium's
        # own proxy switch (the look-alike host resolves nowhere here).
        child_env = dict(env, QTWEBENGINE_CHROMIUM_FLAGS=f"--proxy-server={proxy.address}")
        window = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "sign-in-window"], cwd=ROOT, env=child_env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        try:
            assert window.stdin is not None and window.stdout is not None
            window.stdout.readline()  # ready
            url = ("https://login.xn--gthub-n4a.com/login/oauth/authorize"
                   "?client_id=Iv1.8a61f9b3a7aba766&state=s")
            window.stdin.write(json.dumps({
                "type": "open", "url": url, "redirect_uri": "http://127.0.0.1:9/callback",
                "provider": "GitHub", "transient_for": 0}).encode() + b"\n")
            window.stdin.flush()
            window.stdout.readline()  # shown
            login = self.wait("the look-alike window", lambda: self.window("Sign in to GitHub"))
            time.sleep(3)  # the refused certificate's error page
            self.capture("sign-in-lookalike.png", "-window", login)
        finally:
            window.kill()
            window.wait()
            proxy.close()
            site.close()

    def sign_in(self, main: str) -> None:
        dialog = self._oauth_dialog(main, "staging-idp")
        self.xdo("key", "Return")  # "Sign in"
        login = self.wait("the sign-in window", lambda: self.window("Sign in"))
        time.sleep(3)  # the provider's page loads in QtWebEngine
        # The window above the dialog it came from: both in the picture (the window
        # manager centres it over the dialog, which it would hide entirely).
        x, y, _w, _h = self.geometry(login)
        self.xdo("windowmove", login, str(x + 300), str(max(0, y - 10)))
        time.sleep(0.5)
        boxes = [self.frame(w) for w in (dialog, login)]
        left = max(0, min(b[0] for b in boxes) - 16)
        top = max(0, min(b[1] for b in boxes) - 16)
        right = min(self.x.width, max(b[0] + b[2] for b in boxes) + 16)
        bottom = min(self.x.height, max(b[1] + b[3] for b in boxes) + 16)
        self.capture("sign-in.png", "-window", "root", "-crop",
                     f"{right - left}x{bottom - top}+{left}+{top}", "+repage")
        # Play the person on the provider's pages: login (autofocused), then consent.
        self.xdo("windowfocus", "--sync", login)
        self.xdo("type", "--delay", "5", "alice")
        self.xdo("key", "Tab")
        self.xdo("type", "--delay", "5", "any-password")
        self.xdo("key", "Return")
        time.sleep(2)
        self.xdo("key", "Return")  # the consent page's "Continue" has the focus
        self.wait("the sign-in to finish",
                  lambda: self.window("Sign in to a provider") is None)
        del dialog

    def device_sign_in(self, main: str) -> None:
        dialog = self._oauth_dialog(main, "tv", "tokenmgr-device")
        self.xdo("key", "alt+f", "Down")  # the flow: on another device
        self.xdo("windowfocus", "--sync", dialog)
        self.xdo("key", "Return")
        device = self.wait("the device window", lambda: self.window("Sign in on another device"))
        self.capture("device-sign-in.png", "-window", device)
        self.xdo("windowfocus", "--sync", device)
        self.xdo("key", "Escape")  # Cancel
        self.wait("the device window to close",
                  lambda: self.window("Sign in on another device") is None)
        dialog2 = self.window("Sign in to a provider")
        if dialog2:
            self.xdo("windowfocus", "--sync", dialog2)
            self.xdo("key", "Escape")

    def tray_menu(self, main: str) -> None:
        # Esc hides the window to the tray: the menu is shot over the desktop alone.
        self.xdo("windowfocus", "--sync", main)
        self.xdo("key", "Escape")
        self.wait("the window to hide", lambda: self.window("Token Manager") is None)
        x, y, w, h = self.wait("the tray icon", self.tray_icon)
        time.sleep(0.6)  # not a double click with anything before
        # Clicked at its lower edge, the menu opens under the icon and leaves it in sight.
        self.xdo("mousemove", str(x + w // 2), str(y + h - 1), "click", "3")
        self.wait("the tray menu", lambda: len(self.popups()) == 1)
        self.xdo("key", "Down")
        self.xdo("key", "Right")
        menus = self.wait("the submenu", lambda: (p := self.popups()) and len(p) == 2 and p)
        boxes = [self.geometry(m) for m in menus] + [(x, y, w, h)]
        left = max(0, min([b[0] for b in boxes] + [self.x.width - PANEL_WIDTH]) - 24)
        bottom = min(self.x.height, max(b[1] + b[3] for b in boxes) + 24)
        self.capture("tray-menu.png", "-window", "root", "-crop",
                     f"{self.x.width - left}x{bottom}+{left}+0", "+repage")
        self.xdo("key", "Escape")
        self.xdo("key", "Escape")

    def stop(self) -> None:
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(20)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
        self.ss.stop()
        self.x.stop()
        if self.oidc is not None:
            self.oidc.stop()

    def run(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            env = self.setup()
            self.oidc = start_server(self.tmp / "oidc.log")
            env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"  # root on a build machine; never the app
            main = self.start_app(env)
            self.main_window(main)
            self.add_dialog(main, env)
            self.refused(main)
            self.sign_in(main)
            self.lookalike(env)
            self.device_sign_in(main)
            self.tray_menu(main)
        finally:
            self.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    Shooter(args.out.resolve()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
