"""The sign-in window itself (gui/login_dialog.py), in this process, offscreen, over
local pages: what its address bar says, and what it refuses the page. (In the app it
runs in a process of its own: test_signin_child.py.)"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl

from tests.support.pages import Site

pytestmark = pytest.mark.gui

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def site() -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(pages: dict[str, tuple[int, str]], *, tls: bool = False) -> Site:
        s = Site(pages, tls=tls)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def window(qtbot: Any) -> Iterator[Any]:
    from tokenmgr.gui.login_dialog import LoginDialog

    w = LoginDialog()
    yield w
    if w.page is not None:
        w.finish()


def loaded(qtbot: Any, w: Any, url: str) -> None:
    """Start at `url` and wait for that page (not the blank one the window starts with)."""
    with qtbot.waitSignal(
        w.page.loadFinished,
        timeout=30_000,
        check_params_cb=lambda _ok: w.page.url().toString().startswith(url.split("?")[0]),
    ):
        w.start(url, REDIRECT, "Example")


def title(qtbot: Any, w: Any, want: str) -> None:
    qtbot.waitUntil(lambda: w.page is not None and w.page.title() == want, timeout=20_000)


# ----------------------------------------------------------------- address bar


def test_address_bar_states() -> None:
    from tokenmgr.gui.address_bar import connection_state
    from tokenmgr.gui.login_page import is_redirect

    assert connection_state(QUrl("https://accounts.example.com/x")) == "secure"
    assert connection_state(QUrl("http://127.0.0.1:8080/x")) == "local"
    assert connection_state(QUrl("http://[::1]:8080/x")) == "local"
    assert connection_state(QUrl("http://localhost.evil.example/x")) == "insecure"
    assert connection_state(QUrl("http://id.example.com/x")) == "insecure"
    assert is_redirect(
        QUrl("http://127.0.0.1:5000/callback?code=x"), "http://127.0.0.1:5000/callback"
    )
    assert not is_redirect(QUrl("http://127.0.0.1:5001/callback"), "http://127.0.0.1:5000/callback")
    assert not is_redirect(QUrl("http://127.0.0.1:5000/other"), "http://127.0.0.1:5000/callback")
    assert not is_redirect(QUrl("http://127.0.0.1:5000/callback"), "")


def test_a_look_alike_host_shows_as_punycode_with_its_registrable_domain(
    qtbot: Any, window: Any
) -> None:
    """`xn--gthub-n4a.com` never reads "gıthub.com" (it does not resolve here: the bar
    still shows what was asked for)."""
    window.start("https://login.xn--gthub-n4a.com/authorize?state=s", REDIRECT, "GitHub")
    assert window.address_bar.host_text() == "login.xn--gthub-n4a.com"
    assert window.address_bar.host_domain.text() == "xn--gthub-n4a.com"
    bar = window.address_bar
    assert bar.host_domain.font().bold() and not bar.host_prefix.font().bold()
    assert "punycode" in window.address_bar.host_domain.toolTip()
    # A long subdomain gives way from its left; the registrable domain is never cut.
    long = "accounts.google.com.sign-in.secure-session.verify." + ".".join(["x" * 40] * 3)
    window.start(f"https://{long}.xn--gthub-n4a.com/", REDIRECT)
    window.resize(520, window.height())
    qtbot.waitUntil(lambda: window.address_bar.host_prefix.text().startswith("…"), timeout=5000)
    assert window.address_bar.host_prefix.text().endswith("x.")
    assert window.address_bar.host_domain.text() == "xn--gthub-n4a.com"
    assert window.address_bar.host_text() == f"{long}.xn--gthub-n4a.com"
    # An honest IDN shows in Unicode; Qt's public suffix list finds the registrable part.
    window.start("https://www.xn--bcher-kva.co.uk/", REDIRECT)
    assert (bar.host_prefix.text(), bar.host_domain.text()) == ("www.", "bücher.co.uk")
    assert window.address_bar.host_domain.toolTip() == "www.bücher.co.uk"


def test_a_refused_certificate_is_not_secure(qtbot: Any, window: Any, site: Any) -> None:
    s = site({"/auth": (200, "<title>provider</title><p>sign in</p>")}, tls=True)
    window.start(s.base + "/auth", REDIRECT, "Example")
    qtbot.waitUntil(lambda: window.address_bar.connection == "certificate", timeout=30_000)
    assert window.address_bar.state_label.text() == "Not secure"
    assert "certificate was refused" in window.address_bar.state_label.toolTip()
    assert window.page.title() != "provider"  # the page itself never loaded
    # The next page over plain http on a loopback address is "This computer" again.
    plain = site({"/next": (200, "<title>next</title>")})
    loaded(qtbot, window, plain.base + "/next")
    bar = window.address_bar
    assert bar.connection == "local" and bar.state_label.text() == "This computer"


def test_a_page_that_does_not_load_says_so(qtbot: Any, window: Any) -> None:
    window.start("http://127.0.0.1:9/auth", REDIRECT, "Example")  # nothing listens there
    qtbot.waitUntil(lambda: window.address_bar.connection == "failed", timeout=30_000)
    assert window.address_bar.state_label.text() == "Page not loaded"


# --------------------------------------------------- nothing native for the page


PAGE_ASKS = """<!doctype html><title>asking</title><body><script>
var said = [String(prompt('Your vault passphrase is needed', 'x')), String(confirm('ok?'))];
alert('hello');
var done = function (what) { said.push(what); document.title = said.join(','); };
Notification.requestPermission().then(function (p) {
  done(p);
  navigator.geolocation.getCurrentPosition(
    function () { done('located'); }, function (e) { done('no-location'); });
});
</script></body>"""


def test_page_dialogs_and_permissions_are_refused(
    qtbot: Any, window: Any, site: Any
) -> None:
    from PySide6.QtWidgets import QApplication

    before = set(QApplication.topLevelWidgets())
    s = site({"/auth": (200, PAGE_ASKS)})
    window.start(s.base + "/auth", REDIRECT)
    title(qtbot, window, "null,false,denied,no-location")
    opened = [w for w in set(QApplication.topLevelWidgets()) - before if w is not window]
    assert [w for w in opened if w.isVisible()] == []  # no input box, no message box


FILE_PAGE = """<!doctype html><title>files</title><body style="margin:0">
<input type="file" id="f" style="position:absolute;left:0;top:0;width:300px;height:80px">
<script>document.getElementById('f').addEventListener('change', function (e) {
  document.title = 'files:' + e.target.files.length; });
document.getElementById('f').addEventListener('click', function () {
  document.title = 'clicked'; });</script></body>"""


def test_a_file_chooser_gets_no_file(
    qtbot: Any, window: Any, site: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    caplog.set_level(logging.DEBUG, logger="tokenmgr.signin.window")
    s = site({"/auth": (200, FILE_PAGE)})
    window.show()
    loaded(qtbot, window, s.base + "/auth")
    target = window.view.focusProxy()
    qtbot.waitUntil(lambda: target is not None and target.isVisible(), timeout=10_000)
    # The page takes clicks once its first frame is up, which a loaded page may not have
    # yet on a busy machine: click until the page saw one (each is refused alike).
    for _ in range(20):
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(40, 30))
        try:
            qtbot.waitUntil(lambda: window.page.title() == "clicked", timeout=1_000)
            break
        except qtbot.TimeoutError:
            continue
    title(qtbot, window, "clicked")
    qtbot.waitUntil(lambda: "a file chooser, refused" in caplog.text, timeout=10_000)
    # No file came back: the input holds none (asked of the page after the refusal).
    files: list[object] = []
    window.page.runJavaScript("document.getElementById('f').files.length", 0, files.append)
    qtbot.waitUntil(lambda: bool(files), timeout=10_000)
    assert files == [0]
    assert window.page.title() == "clicked"


CONSOLE_PAGE = """<!doctype html><title>console</title><script>
console.error('redirect http://127.0.0.1:9/callback?code=c0de-SECRET-123&state=s');
console.warn('token=tok-SECRET-456');
document.title = 'logged';
</script>"""


def test_console_messages_log_at_debug_only(
    qtbot: Any, window: Any, site: Any, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from tokenmgr.core.redact import RedactingFilter

    caplog.set_level(logging.DEBUG, logger="tokenmgr.signin.page")
    s = site({"/auth": (200, CONSOLE_PAGE)})
    window.start(s.base + "/auth", REDIRECT)
    title(qtbot, window, "logged")
    qtbot.waitUntil(lambda: len(caplog.records) >= 2, timeout=10_000)
    records = [r for r in caplog.records if r.name == "tokenmgr.signin.page"]
    assert records and all(r.levelno == logging.DEBUG for r in records)
    # Through the filter every handler of the app has, the secrets are gone.
    for r in records:
        RedactingFilter().filter(r)
        assert "SECRET" not in r.getMessage()
    # And nothing went to stderr as Chromium's "js:" lines.
    out, err = capfd.readouterr()
    assert "SECRET" not in out + err


def test_a_renderer_that_dies_fails_the_window(qtbot: Any, window: Any, site: Any) -> None:
    s = site({"/auth": (200, "<title>page</title>")})
    loaded(qtbot, window, s.base + "/auth")
    pid = window.page.renderProcessPid()
    assert pid > 0
    with qtbot.waitSignal(window.failed, timeout=20_000) as failed:
        os.kill(pid, signal.SIGKILL)
    assert "stopped working" in failed.args[0]


def test_escape_closes_the_window_as_the_persons_cancel(
    qtbot: Any, window: Any, site: Any
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    s = site({"/auth": (200, "<title>page</title><input autofocus>")})
    window.show()
    loaded(qtbot, window, s.base + "/auth")
    target = window.view.focusProxy() or window.view
    target.setFocus()
    with qtbot.waitSignal(window.closed, timeout=10_000):
        QTest.keyClick(target, Qt.Key.Key_Escape)
    assert window.page is None and not window.isVisible()


def test_an_error_page_for_the_authorization_request_is_reported(
    qtbot: Any, window: Any, site: Any
) -> None:
    page = "<h1>oops</h1><pre>error: invalid_client\nerror_description: client is invalid</pre>"
    s = site({"/auth": (400, page)})
    with qtbot.waitSignal(window.refused, timeout=30_000) as refused:
        window.start(s.base + "/auth?client_id=x", REDIRECT)
    assert refused.args == [400, "invalid_client", "client is invalid"]


def test_an_error_status_later_in_the_sign_in_is_the_providers_business(
    qtbot: Any, window: Any, site: Any
) -> None:
    """A wrong password answered 401 on the login page is no refusal of the request."""
    s = site({"/auth": (200, "<title>login</title>"), "/login": (401, "<title>wrong</title>")})
    loaded(qtbot, window, s.base + "/auth")
    with qtbot.assertNotEmitted(window.refused, wait=1000):
        loaded(qtbot, window, s.base + "/login")


def test_disallowed_useragent_switches_to_the_system_browser(
    qtbot: Any, window: Any, site: Any
) -> None:
    page = "<title>Error 403</title><h1>Access blocked</h1><p>Error 403: disallowed_useragent"
    s = site({"/auth": (403, page)})
    with qtbot.waitSignal(window.switched_to_system_browser, timeout=30_000) as switched:
        window.start(s.base + "/auth", REDIRECT)
    assert "does not allow signing in from an embedded browser" in switched.args[0]


def test_the_persons_switch_to_the_system_browser_hands_the_sign_in_over_once(
    qtbot: Any, window: Any, site: Any
) -> None:
    s = site({"/login": (200, "<title>Sign in</title><form>…</form>")})
    loaded(qtbot, window, s.base + "/login")
    switched: list[str] = []
    window.switched_to_system_browser.connect(switched.append)
    qtbot.mouseClick(window.system_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.system_button, Qt.MouseButton.LeftButton)
    assert switched == [""]  # the person's own choice: no reason to give


def test_the_page_gets_no_script_or_channel_and_the_profile_is_off_the_record(
    window: Any,
) -> None:
    assert window.profile.isOffTheRecord()
    assert window.page.scripts().isEmpty() and window.profile.scripts().isEmpty()
    assert window.page.webChannel() is None
    assert window.profile.persistentStoragePath() == "" or not Path(
        window.profile.persistentStoragePath()
    ).exists()
