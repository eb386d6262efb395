"""Typed exceptions. The CLI maps them to exit statuses, the GUI to user text.

Messages never contain secret values: they name what is wrong and how to fix it.
"""

from __future__ import annotations


class TokenMgrError(Exception):
    """Base of every error tokenmgr raises on purpose."""

    exit_status = 1


class UsageError(TokenMgrError):
    """The user asked for something malformed (bad name, bad env var, bad option)."""

    exit_status = 2


class NotFound(TokenMgrError):
    """No entry with that name."""

    exit_status = 3


class AlreadyExists(TokenMgrError):
    """An entry with that name exists and --force was not given."""

    exit_status = 1


class StorageUnavailable(TokenMgrError):
    """No secure secret store answers, it is locked, or it refused access."""

    exit_status = 4


class VaultLocked(StorageUnavailable):
    """The vault file was locked in this process (its key dropped): unlock it again."""


class IndexCorrupted(TokenMgrError):
    """The metadata index is unreadable, corrupted or from a newer version."""

    exit_status = 1


class IndexAltered(TokenMgrError):
    """The index no longer matches what was stored with the secrets (edited by hand?)."""

    exit_status = 1


class InvalidSecret(TokenMgrError):
    """A secret value was refused (empty, holds CR/LF, ...)."""

    exit_status = 1


class AuthError(TokenMgrError):
    """Sign-in, refresh or a network call to an authorization server failed."""

    exit_status = 5


class NetworkError(AuthError):
    """The server could not be reached or answered garbage.

    `cause` says why a connection failed, when it did: "dns" (no such host), "refused"
    (nothing listens there), "certificate" (TLS certificate not trusted), "tls" (another
    TLS failure), "timeout", "no_route" (offline?), "reset", or "connection" (anything
    else); None when the server answered. `host` is the host it was about.
    """

    def __init__(self, message: str, *, cause: str | None = None, host: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.host = host


class SignInRequired(AuthError):
    """The refresh token was refused (`invalid_grant`): the user must sign in again."""


class BindingOutdated(SignInRequired):
    """The entry's binding predates what it must cover (or is missing): nothing is sent
    for it until it is signed in to once more."""


class TokenMalformed(TokenMgrError):
    """A token does not decode, or a requested verification failed."""

    exit_status = 6


class NotAvailableYet(TokenMgrError):
    """A command that a later release will bring."""

    exit_status = 1


class UnsafeHome(TokenMgrError):
    """TOKENMGR_HOME (or a directory in it) belongs to someone else or others may write it."""

    exit_status = 1


class IndexWriteFailed(TokenMgrError):
    """The index file could not be written (disk full, read-only file system, permissions)."""

    exit_status = 1
