"""How long, in a few characters: '42 s', '4 min', '3 h', '29 days', '2 years'.

One wording for the CLI (`decode`'s "expires in 4 min") and the desktop app
(the list's "in 3 h"). Standard library only: the app imports it before its
first paint, where importing `jwt_inspect` would cost more than the rest of it.
"""

from __future__ import annotations


def magnitude(seconds: float) -> str:
    """The size of a duration (its sign is the caller's: "in …" or "… ago")."""
    s = abs(seconds)
    if s < 90:
        return f"{int(s)} s"
    if s < 90 * 60:
        return f"{int(round(s / 60))} min"
    if s < 48 * 3600:
        return f"{int(round(s / 3600))} h"
    if s < 730 * 86400:
        return f"{int(s // 86400)} days"  # 2 days and up: under 48 h is hours
    return f"{int(s // (365.25 * 86400))} years"
