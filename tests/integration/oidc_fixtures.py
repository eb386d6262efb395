"""Fixtures that run the real oidc-provider (tests/oidc-server) for the session."""
