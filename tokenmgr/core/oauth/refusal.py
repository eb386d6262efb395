"""What to say when the provider refuses an authorization request.

A provider refuses either with an `error=` redirect back to the loopback listener
(RFC 6749 §4.1.2.1) or, when it cannot trust the redirect URI (an unknown client id,
an unregistered redirect), with an error page of its own. Both are said as what they
are, naming what the person can fix ("the provider refused client id 'x'"), never as
a cancellation. The provider's own words (error code, description) are kept, made
printable and redacted.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenmgr.core.redact import server_text

REDIRECT_ERRORS = frozenset({"invalid_redirect_uri", "redirect_uri_mismatch"})
INTERACTION_ERRORS = frozenset(
    {"login_required", "consent_required", "interaction_required", "account_selection_required"}
)


def refusal_sentence(
    error: str,
    description: str = "",
    *,
    client_id: str,
    scopes: Sequence[str] = (),
    status: int = 0,
) -> str:
    """The sentence for a refused authorization request. `status` is the HTTP status of
    the provider's error page (0 for an `error=` redirect)."""
    error = server_text(error, 60)
    description = server_text(description, 200)
    if "redirect_uri" in description and not error:
        error = "invalid_redirect_uri"
    if error == "invalid_client":
        head = f"the provider refused client id {client_id!r}"
        advice = "check the client id registered at the provider"
    elif error == "unauthorized_client":
        head = f"the provider does not allow client id {client_id!r} to sign in this way"
        advice = "allow the authorization code grant for this client at the provider"
    elif error == "invalid_scope":
        asked = " ".join(scopes) or "(none)"
        head = f"the provider refused the scopes {asked!r}"
        advice = "ask only for scopes this client may have"
    elif error == "access_denied":
        head = "the sign-in was declined at the provider"
        advice = "sign in again and allow the access if you meant to"
    elif error == "unsupported_response_type":
        head = f"the provider does not offer client id {client_id!r} the authorization code flow"
        advice = "check the client's settings at the provider"
    elif error in REDIRECT_ERRORS:
        head = "the provider refused the redirect address"
        advice = (
            f"register http://127.0.0.1/callback (any port) as a redirect URI of client id "
            f"{client_id!r}"
        )
    elif error in ("server_error", "temporarily_unavailable"):
        head = "the provider could not complete the sign-in"
        advice = "try again later"
    elif error in INTERACTION_ERRORS:
        head = "the provider needs you to sign in on its page"
        advice = "sign in again without a prompt=none parameter"
    else:
        head = "the provider refused the sign-in request"
        advice = "check the client's settings at the provider"
    said = error or (f"HTTP {status}" if status else "")
    if description:
        said = f"{said}: {description}" if said else description
    return f"{head} ({said}); {advice}; nothing was stored" if said else (
        f"{head}; {advice}; nothing was stored"
    )
