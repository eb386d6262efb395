"""How the sign-in window shows a page's host: so that look-alikes stand out.

Chromium's omnibox shows an internationalised host in Unicode only when no label of
it could pass for another name, and in its ASCII form (punycode, `xn--…`) otherwise.
The same rules here, label by label (`display_host`):

- a label that is not valid IDNA, holds invisible or format characters, a character
  that is neither a letter, a mark, a digit nor a hyphen, or one of the four IDNA
  deviation characters (ß, ς, ZWJ, ZWNJ) is shown as punycode;
- scripts may mix only as in UTS 39's "highly restrictive" level: one script, or
  ASCII Latin with Han and Japanese kana, Han with Bopomofo, or Han with Hangul;
  anything else (Latin with Cyrillic, Greek or Armenian…) is punycode;
- a Latin letter that looks like a different ASCII letter and is no accented form of
  one (`ı` dotless i, `ɑ`, `ɡ`, `ſ`, small capitals…) makes the label punycode (this
  is what shows `xn--gthub-n4a.com` as it is, never as "gıthub.com"; Chromium catches
  it by comparing with its list of popular domains);
- a label written wholly in another script with letters that each pass for a Latin
  one (Cyrillic "аррӏе") is punycode under an ASCII top-level domain;
- digits of two numbering systems in one label are punycode.

The registrable domain (the public suffix and one label before it, "example.co.uk"
in "login.example.co.uk") is what decides who runs the page, so the window shows it
apart from the rest. The public suffix list is Qt's own (`is_public_suffix`).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

ACE_PREFIX = "xn--"
# IDNA 2003 and 2008 read these four differently: a name holding one can mean two hosts.
DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
# Latin letters that pass for another ASCII letter without being an accented form of
# one (NFKD leaves them as they are): dotless i and j, kra, long s, Latin alpha, script
# g, iota, the small capitals, and more of UTS 39's confusables with ASCII letters.
LATIN_LOOKALIKES = frozenset(
    "ıȷĸſƀƃƅƍǀǃɐɑɒɔɘɛɜɡɢɦɩɪɯɴɵʀʋʏʙʜʟ"
    "ᴀᴄᴅᴇᴊᴋᴍᴏᴘᴛᴜᴠᴡᴢꜱꝯꭎꭒ"
)
# Letters of other scripts that each pass for a Latin letter: a label made of nothing
# else reads as a Latin name ("аррӏе" in Cyrillic). Chromium's Cyrillic set, and the
# same idea for Greek and Armenian.
LATIN_ALIKE = {
    "CYRILLIC": frozenset("асԁеһіјӏорԗԛѕԝхуъьҽпгѵѡ"),
    "GREEK": frozenset("αικνορτυχ"),
    "ARMENIAN": frozenset("ագզհոսցօւ"),
}
# What may mix in one label (UTS 39 "highly restrictive"): ASCII Latin with Han and
# Japanese kana, with Han and Bopomofo, or with Han and Hangul.
_CJK_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# First words of Unicode names that are not the script's own name.
_SCRIPT_WORDS = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA"}


@dataclass(frozen=True)
class Host:
    """A host as the address bar shows it: `shown` is the whole host (Unicode where that
    is safe, punycode elsewhere), `registrable` its tail that names who runs it, so
    `shown == prefix + registrable`. `spoofable` is True when a label was kept as
    punycode because it could pass for another name."""

    shown: str
    registrable: str
    spoofable: bool = False

    @property
    def prefix(self) -> str:
        return self.shown[: len(self.shown) - len(self.registrable)]


def script(ch: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN", "CYRILLIC", "HAN", ...);
    "COMMON" for digits and the hyphen, "INHERITED" for combining marks."""
    category = unicodedata.category(ch)
    if ch == "-" or category == "Nd":
        return "COMMON"
    if category.startswith("M"):
        return "INHERITED"
    word = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_WORDS.get(word, word)


def _digit_system(ch: str) -> str | None:
    """"ASCII", "ARABIC-INDIC", ... for a digit; None for anything else."""
    if unicodedata.category(ch) != "Nd":
        return None
    return unicodedata.name(ch, "").partition("DIGIT")[0].strip() or "ASCII"


def unicode_label_is_safe(label: str, *, ascii_tld: bool) -> bool:
    """May `label` (already decoded from punycode) be shown in Unicode?"""
    if not label or any(ch in DEVIATIONS for ch in label):
        return False
    scripts: set[str] = set()
    digits: set[str] = set()
    previous_mark = ""
    for ch in label:
        category = unicodedata.category(ch)
        if ch != "-" and not category.startswith(("L", "M", "Nd")):
            return False  # invisible, format, symbol, punctuation, space...
        if category.startswith("M"):
            if ch == previous_mark:
                return False  # the same mark twice reads as one
            previous_mark = ch
        else:
            previous_mark = ""
        if ch in LATIN_LOOKALIKES:
            return False
        system = _digit_system(ch)
        if system is not None:
            digits.add(system)
        s = script(ch)
        if s == "UNKNOWN":
            return False
        if s not in ("COMMON", "INHERITED"):
            scripts.add(s)
    if len(digits) > 1:
        return False
    if len(scripts) > 1:
        if not any(scripts <= allowed for allowed in _CJK_SETS):
            return False
        latin = [ch for ch in label if script(ch) == "LATIN"]
        if any(not ch.isascii() for ch in latin):
            return False  # only ASCII Latin mixes with CJK
    if ascii_tld and len(scripts) == 1:
        (only,) = scripts
        alike = LATIN_ALIKE.get(only)
        letters = [ch for ch in label.lower() if script(ch) == only]
        if alike is not None and letters and all(ch in alike for ch in letters):
            return False
    return True


def _decode(label: str) -> str | None:
    """A punycode label's Unicode form; None when it is not valid punycode."""
    try:
        decoded = label[len(ACE_PREFIX) :].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return None
    return decoded if decoded and not decoded.isascii() else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def display_host(ace_host: str, is_public_suffix: Callable[[str], bool]) -> Host:
    """How to show `ace_host` (the host as sent on the wire: ASCII, punycode labels).
    `is_public_suffix(name)` answers whether `name` (ASCII) is a public suffix."""
    host = ace_host.lower().rstrip(".")
    if not host or _is_ip(host):
        return Host(ace_host, ace_host)
    labels = host.split(".")
    ascii_tld = not labels[-1].startswith(ACE_PREFIX)
    shown: list[str] = []
    spoofable = False
    for label in labels:
        if label.startswith(ACE_PREFIX):
            decoded = _decode(label)
            if decoded is not None and unicode_label_is_safe(decoded, ascii_tld=ascii_tld):
                shown.append(decoded)
                continue
            spoofable = spoofable or decoded is not None
        shown.append(label)
    count = registrable_labels(labels, is_public_suffix)
    registrable = ".".join(shown[-count:])
    return Host(".".join(shown), registrable, spoofable)


def registrable_labels(labels: list[str], is_public_suffix: Callable[[str], bool]) -> int:
    """How many labels, from the right, make the registrable domain: the longest public
    suffix and one more label (all of them when the host is itself a public suffix or
    has a single label)."""
    for i in range(len(labels)):
        if is_public_suffix(".".join(labels[i:])):
            return min(len(labels), len(labels) - i + 1)
    return min(len(labels), 2) if len(labels) > 1 else 1


def qt_public_suffix() -> Callable[[str], bool]:
    """`is_public_suffix` from the public suffix list Qt carries: its cookie jar refuses a
    cookie that a host under a public suffix sets for the whole suffix."""
    from PySide6.QtCore import QUrl
    from PySide6.QtNetwork import QNetworkCookie, QNetworkCookieJar

    class _Jar(QNetworkCookieJar):
        def public(self, name: str) -> bool:
            url = QUrl(f"https://tokenmgr-probe.{name}/")
            # Qt's own spelling of the suffix (Unicode or punycode), as the jar compares.
            domain = url.host().partition(".")[2]
            cookie = QNetworkCookie(b"n", b"v")
            cookie.setDomain("." + domain)
            return not self.validateCookie(cookie, url)

    jar = _Jar()
    cache: dict[str, bool] = {}

    def is_public_suffix(name: str) -> bool:
        if name not in cache:
            cache[name] = bool(name) and jar.public(name)
        return cache[name]

    return is_public_suffix
