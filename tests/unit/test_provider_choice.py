"""What choosing a provider means for the sign-in form, read from the presets' data."""

from __future__ import annotations

from tokenmgr.gui.provider_choice import GENERIC, PresetChoice, offered


def test_the_generic_provider_takes_a_typed_issuer_and_asks_for_a_refresh_token() -> None:
    c = PresetChoice.of(GENERIC)
    assert c.issuer_typed and c.fixed_issuer == "" and not c.needed
    assert c.scopes == "openid offline_access" and c.suggested_name == ""
    assert c.issuer("  https://id.example.com ", {}) == "https://id.example.com"
    assert offered()[0] == ("Generic OpenID Connect", GENERIC)


def test_a_preset_derives_its_issuer_from_the_values_it_needs() -> None:
    c = PresetChoice.of("keycloak")
    assert not c.issuer_typed and c.needed == {"host", "realm"}
    assert c.issuer("typed is ignored", {"host": "kc.example.com"}) == ""  # realm missing
    assert c.issuer("", {"host": "kc.example.com", "realm": "r1"}) == (
        "https://kc.example.com/realms/r1"
    )
    google = PresetChoice.of("google")
    assert google.fixed_issuer == "https://accounts.google.com" and not google.embedded_ok
    assert PresetChoice.of("github").suggested_hosts({}) == ["github.com"]
    assert PresetChoice.of("github").suggested_name == "github"
