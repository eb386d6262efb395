"""What the index keeps of a provider's answers: an answer replaces the known state, an
attempt that could not check keeps it; a provider's expiry replaces a typed one, a
JWT's own `exp` stays; a refusal counts only for the token it was about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.jwt_helpers import raw_token
from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.probe import check as p
from tokenmgr.core.probe.answers import Answer, unknown
from tokenmgr.core.probe.providers import github_target, token_prefix
from tokenmgr.core.vault import Vault

T0 = datetime(2026, 12, 1, tzinfo=UTC)
EXP = datetime(2027, 1, 31, tzinfo=UTC)
TARGET = github_target(None, token_prefix("ghp_x"))  # type: ignore[arg-type]


def entry(expires: datetime | None = None, report: dict[str, object] | None = None) -> Entry:
    return Entry(name="e", expires_at=expires, issued_at=T0, report=report)


def answered(e: Entry, answer: Answer, at: datetime) -> ProviderCheck:
    check = p.merge(e.provider_check, TARGET, answer, now=at, token_issued_at=e.issued_at)
    p.apply(e, check)
    return check


def test_a_provider_expiry_replaces_a_typed_one_and_no_expiry_keeps_it() -> None:
    e = entry(datetime(2030, 1, 1, tzinfo=UTC))
    assert e.expiry_source() == "typed"
    answered(e, Answer("accepted", no_expiry=True), T0)
    assert e.expires_at == datetime(2030, 1, 1, tzinfo=UTC) and e.expiry_source() == "typed"
    answered(e, Answer("accepted", expires_at=EXP), T0)
    assert e.expires_at == EXP and e.expiry_source() == "provider"
    # The provider now says there is none (a token made without an expiry): it goes.
    answered(e, Answer("accepted", no_expiry=True), T0)
    assert e.expires_at is None


def test_a_jwt_exp_stays_authoritative() -> None:
    exp = int(EXP.timestamp())
    from tokenmgr.core.jwt_inspect import inspect, summary

    report = summary(inspect(raw_token({"alg": "RS256", "typ": "JWT"}, {"sub": "u", "exp": exp})))
    e = entry(EXP, report)
    assert e.expiry_source() == "token"
    answered(e, Answer("accepted", expires_at=EXP + timedelta(days=30)), T0)
    assert e.expires_at == EXP and e.expiry_source() == "token"
    assert e.provider_check is not None and e.provider_check.expires_at == EXP + timedelta(days=30)


def test_couldnt_check_keeps_the_known_state_and_says_why() -> None:
    e = entry()
    answered(e, Answer("accepted", expires_at=EXP, scopes=("repo",)), T0)
    later = T0 + timedelta(days=2)
    check = answered(e, unknown("GitHub failed (HTTP 502)", later + timedelta(hours=1)), later)
    assert (check.verdict, check.expires_at, check.scopes) == ("accepted", EXP, ["repo"])
    assert check.checked_at == T0 and check.attempted_at == later
    assert check.problem == "GitHub failed (HTTP 502)"
    assert check.retry_after == later + timedelta(hours=1)
    assert e.expires_at == EXP
    # The next answer clears the problem.
    check = answered(e, Answer("accepted", expires_at=EXP), later)
    assert check.problem == "" and check.retry_after is None and check.checked_at == later


def test_since_tracks_when_a_verdict_began() -> None:
    e = entry()
    answered(e, Answer("accepted"), T0)
    answered(e, Answer("refused", reason="revoked or expired"), T0 + timedelta(days=1))
    check = answered(e, Answer("refused", reason="revoked or expired"), T0 + timedelta(days=2))
    assert check.since == T0 + timedelta(days=1)
    assert e.refused() and e.status(T0) == "expired"


def test_a_refusal_is_about_the_token_it_was_given_for() -> None:
    e = entry(EXP)
    answered(e, Answer("refused", reason="revoked or expired"), T0)
    assert e.refused()
    e.issued_at = T0 + timedelta(hours=1)  # a refresh, or a new token
    assert not e.refused() and e.status(T0) == "valid" and not e.checked_now()


def test_an_answer_about_a_replaced_token_changes_no_expiry(vault: Vault) -> None:
    """The index write re-reads the entry: if its token changed while the provider was
    asked, the answer is kept (marked as about the earlier token) but decides nothing."""
    vault.add("e", "opaque-token-value", expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    asked = vault.entry("e").issued_at
    assert asked is not None

    def replaced(s: Entry) -> None:  # what storing a newer token does to the metadata
        s.issued_at, s.expires_at = asked + timedelta(hours=1), datetime(2031, 1, 1, tzinfo=UTC)

    vault.modify("e", replaced)

    def record(stored: Entry) -> None:
        check = p.merge(
            None, TARGET, Answer("accepted", expires_at=EXP), now=T0, token_issued_at=asked
        )
        p.apply(stored, check)

    stored = vault.modify("e", record)
    assert stored.expires_at == datetime(2031, 1, 1, tzinfo=UTC)
    assert not stored.checked_now()


def test_the_index_round_trip_and_a_tampered_check() -> None:
    e = entry(EXP)
    answered(e, Answer("accepted", expires_at=EXP, scopes=("a",), account="o"), T0)
    again = Entry.from_dict(e.to_dict())
    assert again.provider_check == e.provider_check
    data = e.to_dict()
    data["provider_check"] = {"provider": "x", "kind": "github", "verdict": "owned",
                              "checked_at": "never", "scopes": "all"}
    check = Entry.from_dict(data).provider_check
    assert check is not None and check.verdict is None and check.checked_at is None
    assert check.scopes is None
    data["provider_check"] = ["not", "a", "check"]
    assert Entry.from_dict(data).provider_check is None
