"""The details pane: what a token says, in words (UI.md "Main window", "Tokens on screen").

The access token's report is drawn from the non-secret summary the index keeps
(`entry.report`), so selecting an entry reads no secret. The secret is read only
on Reveal, Verify or "Show the ID token", in a worker (the main window runs
it); this module only draws. `ReportView` is also what "Paste & decode" and the
add dialog show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.entries import Entry, parse_time
from tokenmgr.core.redact import printable
from tokenmgr.gui import style
from tokenmgr.gui.props import set_props

if TYPE_CHECKING:
    from tokenmgr.gui.report_view import ReportView, TokenText

GLOSSES = {
    "exp": "expires",
    "iat": "issued",
    "nbf": "not valid before",
    "iss": "issued by",
    "sub": "who the token is about",
    "aud": "meant for",
    "azp": "requested by",
    "scope": "what it may do",
    "scp": "what it may do",
    "jti": "token id",
    "client_id": "the app it was issued to",
    "auth_time": "when the user signed in",
    "nonce": "ties it to one sign-in",
    "email": "the user's e-mail address",
    "name": "the user's name",
}
HEADER_GLOSSES = {
    "alg": "signing algorithm",
    "kid": "which of the issuer's keys",
    "typ": "token type",
    "cty": "content type",
    "enc": "encryption",
}
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
KIND_WORDS = {
    "jws": "signed JWT",
    "jwe": "encrypted JWT",
    "opaque": "opaque token (not a JWT)",
    "malformed": "malformed token",
}
ACCESS_TITLE = "Access token"
ACCESS_SUBTITLE = "what APIs accept"
ID_TITLE = "ID token"
ID_SUBTITLE = "tells this app who signed in; not for APIs"
MASK = "•" * 16  # fixed width: says nothing about the token's length
COUNTDOWN_WITHIN = 86400  # a live countdown when the token expires within a day


@dataclass
class ReportData:
    """A report without the token: from a full inspection or the index's summary."""

    kind: str
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    not_before: datetime | None = None
    signature: str = "unverified"
    verification: dict[str, Any] | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    full: bool = False

    @classmethod
    def from_report(cls, report: Any) -> ReportData:
        return cls(
            kind=report.kind,
            header=dict(report.header or {}),
            claims=dict(report.claims or {}),
            expires_at=report.expires_at,
            issued_at=report.issued_at,
            not_before=report.not_before,
            signature=report.signature,
            verification=dict(report.verification) if report.verification else None,
            reason=report.reason,
            warnings=tuple(report.warnings),
            full=True,
        )

    @classmethod
    def from_summary(cls, data: dict[str, Any] | None) -> ReportData | None:
        if not isinstance(data, dict) or "kind" not in data:
            return None

        def when(key: str) -> datetime | None:
            try:
                return parse_time(data.get(key))
            except Exception:
                return None

        return cls(
            kind=str(data.get("kind")),
            header=dict(data.get("header") or {}),
            claims=dict(data.get("claims") or {}),
            expires_at=when("expires_at"),
            issued_at=when("issued_at"),
            not_before=when("not_before"),
            signature=str(data.get("signature") or "unverified"),
            reason=data.get("reason"),
        )


def show_value(value: Any, limit: int = 400) -> str:
    if isinstance(value, str):
        return printable(value, limit)
    return printable(json.dumps(value, ensure_ascii=False), limit)


def kind_line(data: ReportData) -> str:
    """'signed JWT · RS256 · kid k1'."""
    parts = [KIND_WORDS.get(data.kind, data.kind)]
    if data.header.get("alg"):
        parts.append(show_value(data.header["alg"], 40))
    if data.header.get("kid"):
        parts.append(f"kid {show_value(data.header['kid'], 40)}")
    return " · ".join(parts)


PINNED_SOURCES = ("jwks_url", "issuer", "vault_issuer")  # core.jwt_inspect.PINNED_SOURCES


def pinned(data: ReportData) -> bool:
    return bool(data.verification and data.verification.get("key_source") in PINNED_SOURCES)


def badge(data: ReportData) -> tuple[str, str]:
    """(mark, words) of the signature verdict; never a bare tick for an unpinned key."""
    v = data.verification or {}
    reason = show_value(v.get("reason") or data.reason or "", 300)
    if data.kind in ("opaque", "jwe", "malformed"):
        why = {
            "opaque": "an opaque token has no signature",
            "jwe": "an encrypted token has no signature to check",
            "malformed": "the token does not decode",
        }[data.kind]
        return "?", f"Can't verify ({why})"
    if data.signature == "verified":
        stale = " — with stale keys" if v.get("stale") else ""
        if pinned(data):
            return "✔", f"Signature verified (pinned issuer){stale}"
        return "⚠", f"Verified, issuer not pinned (keys found through the token's own iss){stale}"
    if data.signature == "invalid":
        return "✖", f"Invalid signature: {reason}" if reason else "Invalid signature"
    if data.signature == "unverifiable":
        return "?", f"Can't verify ({reason})" if reason else "Can't verify"
    return "–", "Signature not checked"


def expiry_line(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "No expiry known"
    delta = (expires_at - now).total_seconds()
    if delta <= 0:
        return f"Expired {style.relative(expires_at, now)}"
    if delta < COUNTDOWN_WITHIN:
        return f"Expires in {style.countdown(delta)}"
    return f"Expires {style.relative(expires_at, now)}"


def one_line(data: ReportData, now: datetime) -> str:
    """What the add dialog shows under the paste field: kind, subject, issuer, expiry."""
    if data.kind == "malformed":
        return f"Malformed: {show_value(data.reason or 'it does not decode', 200)}"
    parts = [kind_line(data)[0].upper() + kind_line(data)[1:]]
    if data.kind == "opaque" and data.reason:
        parts.append(show_value(data.reason, 120))
    if "sub" in data.claims:
        parts.append(f"subject {show_value(data.claims['sub'], 60)}")
    if "iss" in data.claims:
        parts.append(f"issued by {show_value(data.claims['iss'], 80)}")
    if data.expires_at is not None:
        verb = "expires" if data.expires_at > now else "expired"
        parts.append(f"{verb} {style.relative(data.expires_at, now)}")
    elif data.kind in ("jws", "jwe"):
        parts.append("no expiry")
    return " · ".join(parts)


def _time_claim(at: datetime, now: datetime) -> str:
    return f"{style.local_utc(at)} · {style.relative(at, now)}"


def _section_label(title: str, subtitle: str) -> QWidget:
    """TITLE in bold, then the subtitle: two plain labels (the first rich-text label
    costs ≈3 ms before the first paint, loading Qt's rich-text machinery)."""
    box = QWidget()
    box.setAccessibleName(f"{title}: {subtitle}")
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    head = QLabel(title.upper())
    font = head.font()
    font.setBold(True)
    head.setFont(font)
    sub = QLabel(subtitle)
    sub.setWordWrap(True)
    row.addWidget(head)
    row.addSpacing(8)
    row.addWidget(sub, 1)
    return box


def __getattr__(name: str) -> Any:
    """ReportView and TokenText live in report_view.py, imported when first drawn (their
    Qt classes cost start-up time; an entry with no report shows neither)."""
    if name in ("ReportView", "TokenText"):
        from tokenmgr.gui import report_view

        return getattr(report_view, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def needs_sign_in(entry: Entry, now: datetime) -> bool:
    """An OAuth entry only a new sign-in can renew (refused, or expired without a way)."""
    from tokenmgr.core.expiry import renews_itself

    if entry.kind != "oauth2":
        return False
    if entry.state == "sign_in_needed":
        return True
    expired = entry.expires_at is not None and entry.expires_at <= now
    return expired and not renews_itself(entry)


class DetailsPane(QWidget):
    """The right-hand side of the main window."""

    reveal_requested = Signal(str)  # entry name: read the access token to show it
    verify_requested = Signal(str)
    id_token_requested = Signal(str)
    sign_in_requested = Signal(str)  # entry name: "Sign in again"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry: Entry | None = None
        self._now = datetime.now(UTC)
        self._full: dict[tuple[str, str], ReportData] = {}  # (name, updated_at) → report
        self._revealed = False

        outer = QVBoxLayout(self)
        self.placeholder = QLabel("Select a token to see what it says.")
        set_props(self.placeholder, alignment="AlignCenter")
        self.placeholder.setWordWrap(True)
        outer.addWidget(self.placeholder)
        self.body = QWidget()
        outer.addWidget(self.body)
        lay = QVBoxLayout(self.body)
        lay.setContentsMargins(0, 0, 0, 0)

        top = QHBoxLayout()
        self.name_label = QLabel()
        f = self.name_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.name_label.setFont(f)
        set_props(self.name_label, textInteractionFlags="TextSelectableByMouse")
        self.service_label = QLabel()
        set_props(self.service_label, alignment="AlignRight|AlignVCenter")
        top.addWidget(self.name_label, 1)
        top.addWidget(self.service_label)
        lay.addLayout(top)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.sign_in_button = QPushButton("Sign in again")
        self.sign_in_button.setAccessibleName("Sign in again")
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)
        state_row = QHBoxLayout()
        state_row.addWidget(self.state_label, 1)
        state_row.addWidget(self.sign_in_button)
        lay.addLayout(state_row)

        lay.addWidget(_line())
        self.access_title = _section_label(ACCESS_TITLE, ACCESS_SUBTITLE)
        lay.addWidget(self.access_title)
        # Slots for the widgets made when first needed (start-up time): the access
        # token's report here, the revealed token under its row.
        self._access_slot = QVBoxLayout()
        self._access_slot.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._access_slot)
        self._access_view: ReportView | None = None
        self.no_report = QLabel("Nothing is known about this token yet; reveal it to decode it.")
        self.no_report.setWordWrap(True)
        lay.addWidget(self.no_report)

        self.id_box = QWidget()
        id_lay = QVBoxLayout(self.id_box)
        id_lay.setContentsMargins(0, 0, 0, 0)
        id_lay.addWidget(_line())
        id_top = QHBoxLayout()
        id_top.addWidget(_section_label(ID_TITLE, ID_SUBTITLE), 1)
        self.id_button = QPushButton("Show ID token ▸")
        self.id_button.setAccessibleName("Show what the ID token says")
        self.id_button.clicked.connect(self._on_id_button_clicked)
        id_top.addWidget(self.id_button)
        id_lay.addLayout(id_top)
        self._id_lay = id_lay
        self.id_view: ReportView | None = None  # made when first asked for (start-up time)
        lay.addWidget(self.id_box)

        lay.addWidget(_line())
        token_row = QHBoxLayout()
        token_row.addWidget(QLabel("Token"))
        self.mask_label = QLabel(MASK)
        self.mask_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.mask_label.setAccessibleName("Token (hidden)")
        token_row.addWidget(self.mask_label)
        token_row.addStretch(1)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setAccessibleName("Reveal the token")
        self.reveal_button.toggled.connect(self._on_reveal_button_toggled)
        token_row.addWidget(self.reveal_button)
        lay.addLayout(token_row)
        self._token_slot = QVBoxLayout()
        self._token_slot.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._token_slot)
        self.token_text: TokenText | None = None  # made on the first reveal (start-up time)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("env_var", "Env var"),
            ("scheme", "Scheme"),
            ("kind", "Kind"),
            ("note", "Note"),
            ("tags", "Tags"),
            ("created", "Added"),
            ("updated", "Changed"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            set_props(value, textInteractionFlags="TextSelectableByMouse")
            value.setAccessibleName(label)
            self.fields[key] = value
            form.addRow(label, value)
        lay.addLayout(form)
        lay.addStretch(1)
        self.set_entry(None)

    # ------------------------------------------------------------------ API

    @property
    def entry(self) -> Entry | None:
        return self._entry

    @property
    def access_view(self) -> ReportView | None:
        """The access token's report; None until one is first drawn."""
        return self._access_view

    def _ensure_access_view(self) -> ReportView:
        if self._access_view is None:
            from tokenmgr.gui.report_view import ReportView

            view = ReportView()
            view.verify_requested.connect(self._on_access_view_verify_requested)
            self._access_slot.addWidget(view)
            self._access_view = view
        return self._access_view

    @property
    def revealed(self) -> bool:
        return self._revealed

    @Slot()
    def _on_sign_in_button_clicked(self) -> None:
        if self._entry is not None:
            self.sign_in_requested.emit(self._entry.name)

    def set_entry(self, entry: Entry | None, now: datetime | None = None) -> None:
        """Show an entry (from the index only). A different entry conceals the token."""
        if now is not None:
            self._now = now
        same = (
            entry is not None and self._entry is not None and entry.name == self._entry.name
        )
        if not same:
            self.conceal()
            if self.id_view is not None:
                self.id_view.setVisible(False)
            self.id_button.setEnabled(True)
            self.id_button.setText("Show ID token ▸")
        self._entry = entry
        self.placeholder.setVisible(entry is None)
        self.body.setVisible(entry is not None)
        if entry is None:
            return
        self.name_label.setText(entry.name)
        self.service_label.setText(entry.service)
        state = ""
        if entry.state == "sign_in_needed":
            state = "⚠ Sign-in needed: the provider refused the refresh token."
        elif needs_sign_in(entry, self._now):
            state = "⚠ Expired, and there is no refresh token: sign in again to renew it."
        self.state_label.setText(state)
        self.state_label.setVisible(bool(state))
        self.sign_in_button.setVisible(bool(state))
        self._draw_access()
        self.id_box.setVisible("id" in entry.secrets)
        self.fields["env_var"].setText(entry.env_var)
        self.fields["scheme"].setText(entry.scheme)
        self.fields["kind"].setText(
            "OAuth2 sign-in" if entry.kind == "oauth2" else "static token"
        )
        self.fields["note"].setText(printable(entry.note, 2000) or "—")
        self.fields["tags"].setText(", ".join(entry.tags) or "—")
        self.fields["created"].setText(style.local_utc(entry.created_at))
        self.fields["updated"].setText(style.local_utc(entry.updated_at))

    def _key(self) -> tuple[str, str] | None:
        if self._entry is None:
            return None
        return (self._entry.name, self._entry.updated_at.isoformat())

    def _draw_access(self) -> None:
        entry = self._entry
        if entry is None:
            return
        key = self._key()
        data = self._full.get(key) if key else None
        if data is None:
            data = ReportData.from_summary(entry.report)
        self.no_report.setVisible(data is None)
        if data is None:
            if self._access_view is not None:
                self._access_view.setVisible(False)
            return
        view = self._ensure_access_view()
        view.setVisible(True)
        view.set_report(data, self._now, expires_at=entry.expires_at)

    def tick(self, now: datetime) -> None:
        self._now = now
        if self._entry is not None:
            if self._access_view is not None:
                self._access_view.tick(now)
            if self.id_view is not None and self.id_view.isVisible():
                self.id_view.tick(now)

    def set_access_report(self, name: str, report: Any) -> None:
        """A full (possibly verified) report of the access token, from a worker."""
        if self._entry is None or self._entry.name != name:
            return
        key = self._key()
        if key is not None:
            self._full[key] = ReportData.from_report(report)
        self._draw_access()

    def set_id_report(self, name: str, report: Any) -> None:
        if self._entry is None or self._entry.name != name:
            return
        if self.id_view is None:
            from tokenmgr.gui.report_view import ReportView

            self.id_view = ReportView(verifiable=False)
            self._id_lay.addWidget(self.id_view)
        self.id_view.set_report(ReportData.from_report(report), self._now)
        self.id_view.setVisible(True)
        self.id_button.setText("ID token shown")
        self.id_button.setEnabled(False)

    def set_verifying(self, busy: bool) -> None:
        if self._access_view is not None:
            self._access_view.set_busy(busy)

    def show_token(self, name: str, token: str) -> None:
        """The worker read the token for Reveal; show it unless the selection moved."""
        if self._entry is None or self._entry.name != name or not self.reveal_button.isChecked():
            return
        self._revealed = True
        self.mask_label.setVisible(False)
        if self.token_text is None:
            from tokenmgr.gui.report_view import TokenText

            self.token_text = TokenText()
            self._token_slot.addWidget(self.token_text)
        self.token_text.set_token(token)
        self.token_text.setVisible(True)
        self.reveal_button.setText("Hide")
        self.reveal_button.setAccessibleName("Hide the token")
        # The token is at hand: the full report (every claim) costs nothing more.
        from tokenmgr.core import jwt_inspect

        key = self._key()
        if key is not None and key not in self._full:
            self._full[key] = ReportData.from_report(jwt_inspect.inspect(token))
            self._draw_access()

    def conceal(self) -> None:
        """Reveal lapses: selection change, window hidden, or the button."""
        self._revealed = False
        if self.token_text is not None:
            self.token_text.clear()
            self.token_text.setVisible(False)
        self.mask_label.setVisible(True)
        if self.reveal_button.isChecked():
            self.reveal_button.blockSignals(True)
            self.reveal_button.setChecked(False)
            self.reveal_button.blockSignals(False)
        self.reveal_button.setEnabled(True)
        self.reveal_button.setText("Reveal")
        self.reveal_button.setAccessibleName("Reveal the token")

    def revealed_text(self) -> str:
        """What the reveal shows now ("" when masked)."""
        return self.token_text.toPlainText() if self.token_text is not None else ""

    def reveal_failed(self) -> None:
        self.conceal()

    # ---------------------------------------------------------------- slots

    @Slot(bool)
    def _on_reveal_button_toggled(self, checked: bool) -> None:
        if not checked:
            self.conceal()
            return
        if self._entry is not None:
            self.reveal_button.setText("Revealing…")
            self.reveal_requested.emit(self._entry.name)

    @Slot()
    def _on_access_view_verify_requested(self) -> None:
        if self._entry is not None:
            self.verify_requested.emit(self._entry.name)

    @Slot()
    def _on_id_button_clicked(self) -> None:
        if self._entry is not None:
            self.id_button.setEnabled(False)
            self.id_button.setText("Reading…")
            self.id_token_requested.emit(self._entry.name)

    def id_failed(self) -> None:
        self.id_button.setEnabled(True)
        self.id_button.setText("Show ID token ▸")


def _line() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
