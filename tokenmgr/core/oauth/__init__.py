"""OAuth2 / OpenID Connect sign-in, refresh and revocation (no Qt, `requests` only on use).

Modules: `discovery` (OIDC + RFC 8414 metadata, exact issuer match), `pkce` (RFC 7636
verifier/challenge, state, nonce), `loopback` (RFC 8252 redirect listener on 127.0.0.1),
`flows` (authorization code + PKCE, device RFC 8628, client credentials), `refresh`
(cross-process lock, rotation-safe refresh), `revoke` (RFC 7009), `presets` (providers as
data) and `http` (timeouts, bounded answers, redacted DEBUG logging).
"""
