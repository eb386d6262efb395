// oidc-provider configured for tokenmgr's integration tests.
//
// Started by tests/support/oidc_server.py. Listens on 127.0.0.1, port 0 (or $OIDC_PORT),
// and prints ONE JSON line on stdout first: {"issuer": "...", "port": N, "base": "...",
// "profile": "..."}. The issuer has a path (/oidc) so "issuers with a path" are exercised.
//
// Named configurations ($OIDC_PROFILE, asked for by the tests that need them; the library's
// defaults otherwise):
//   default          issuer /oidc; both metadata documents list every endpoint.
//   split-metadata   behaves like another widely deployed authorization server: issuer
//                    /realms/tokenmgr; its OpenID discovery document leaves out the optional
//                    revocation, introspection and device authorization endpoints, which
//                    only its RFC 8414 metadata lists (`metadata` "rfc8414"); with
//                    `metadata` "none" neither document lists them (they still work).
//
// Test-only endpoints (never part of a real provider), under /test/ on the same port:
//   GET  /test/stats          counters: token requests per grant_type, refreshes per client,
//                             revocations, device polls, plus the last token request's
//                             non-secret parameters.
//   POST /test/reset          zero the counters, drop queued faults, restore the config.
//   POST /test/fault          JSON {"endpoint": "token"|"revocation"|"discovery",
//                             "mode": "html"|"500"|"no_access_token"|"slow_down"|"drop"|"error",
//                             "count": N, "grant_type": optional filter,
//                             "error": code and "status": N for mode "error"}
//                             makes the next N matching requests fail that way.
//   POST /test/config         JSON {"oidc_discovery": bool, "device_interval": N,
//                             "access_token_ttl": N, "metadata": "full"|"rfc8414"|"none"};
//                             runtime knobs (reset restores the profile's).
//   GET  /test/stats also counts introspections.
//
// Environment: OIDC_AT_TTL (default 3600 s) access-token lifetime, OIDC_SHORT_TTL (default 4 s)
// lifetime for the `tokenmgr-short` client, OIDC_DEVICE_INTERVAL (default 1 s).

import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';

import Provider, { errors } from 'oidc-provider';

const PROFILES = {
  default: { mount: '/oidc', metadata: 'full' },
  'split-metadata': { mount: '/realms/tokenmgr', metadata: 'rfc8414' },
};
const PROFILE_NAME = process.env.OIDC_PROFILE || 'default';
const PROFILE = PROFILES[PROFILE_NAME];
if (!PROFILE) {
  console.error(`unknown OIDC_PROFILE ${PROFILE_NAME}; one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
const MOUNT = PROFILE.mount;
const LOOPBACK = 'http://127.0.0.1/callback';
export const CC_SECRET = 'c0nf:dential%20+/=secret with space';
// The optional endpoints a `metadata` setting may leave out of the documents.
const OPTIONAL_ENDPOINTS = [
  'revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint',
];

const defaults = {
  metadata: PROFILE.metadata,
  oidc_discovery: true,
  device_interval: Number(process.env.OIDC_DEVICE_INTERVAL ?? 1),
  access_token_ttl: Number(process.env.OIDC_AT_TTL ?? 3600),
  short_ttl: Number(process.env.OIDC_SHORT_TTL ?? 4),
};
let config = { ...defaults };
let faults = [];
let stats;
function resetStats() {
  stats = {
    token_requests: {},
    refresh_by_client: {},
    revocations: 0,
    revocation_hints: [],
    introspections: 0,
    device_polls: 0,
    last_token_params: null,
    last_auth_params: null,
  };
}
resetStats();

// Everything but the secret-bearing parameters is recorded for tests to inspect.
const SECRET_PARAMS = new Set([
  'code', 'code_verifier', 'refresh_token', 'device_code', 'client_secret', 'token',
  'assertion', 'client_assertion', 'password',
]);
function recordable(params) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    if (!SECRET_PARAMS.has(k)) out[k] = v;
  }
  return out;
}

function keys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { keys: [{ ...rsa, kid: 'rsa-1', use: 'sig', alg: 'RS256' }, { ...ec, kid: 'ec-1', use: 'sig', alg: 'ES256' }] };
}

const RESOURCES = {
  'https://api.example.test': 'RS256',
  'https://api-es.example.test': 'ES256',
};

function atTtl(client) {
  return client?.clientId === 'tokenmgr-short' ? config.short_ttl : config.access_token_ttl;
}

const clients = [
  {
    // The CLI's usual public client: code + PKCE, refresh, device; loopback on any port.
    client_id: 'tokenmgr-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK],
  },
  {
    // Short-lived access tokens (OIDC_SHORT_TTL) for refresh tests.
    client_id: 'tokenmgr-short',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK],
  },
  {
    // Refresh tokens are NOT rotated for this client.
    client_id: 'tokenmgr-norotate',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK],
  },
  {
    // Not allowed the refresh_token grant: offline_access is dropped, no refresh token.
    client_id: 'tokenmgr-norefresh',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK],
  },
  {
    client_id: 'tokenmgr-device',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'tokenmgr-cc',
    client_secret: CC_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // ID tokens signed with ES256 (the EC key) instead of the default RS256.
    client_id: 'tokenmgr-es256',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [LOOPBACK],
  },
];

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', resolve));
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
const issuer = `${base}${MOUNT}`;

const provider = new Provider(issuer, {
  clients,
  jwks: keys(),
  cookies: { keys: ['tokenmgr-test-cookie-key'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf ?? undefined,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator, client) {
        const alg = RESOURCES[indicator];
        if (!alg) throw new errors.InvalidTarget();
        return {
          scope: 'api:read api:write',
          audience: indicator,
          accessTokenTTL: atTtl(client),
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  // Library defaults everywhere else: PKCE required for public clients, refresh tokens
  // only for `offline_access` (which the authorization endpoint drops unless the request
  // has prompt=consent), default lifetimes for codes, sessions, grants and refresh tokens.
  // Named quirks only: `tokenmgr-norotate` never rotates; the rest is oidc-provider's
  // own rotation policy (public clients rotate), restated here because the option is one
  // function.
  rotateRefreshToken(ctx) {
    const { RefreshToken: refreshToken, Client: client } = ctx.oidc.entities;
    if (client.clientId === 'tokenmgr-norotate') return false;
    if (refreshToken.totalLifetime() >= 365.25 * 24 * 60 * 60) return false;
    if (client.clientAuthMethod === 'none' && !refreshToken.isSenderConstrained()) return true;
    return refreshToken.ttlPercentagePassed() >= 70;
  },
  // Access-token lifetimes are test knobs (OIDC_AT_TTL, the short client, /test/config).
  ttl: {
    AccessToken: (ctx, token, client) => atTtl(client),
    ClientCredentials: (ctx, token, client) => atTtl(client),
  },
});
provider.proxy = false;

// Add RFC 8628 `interval` to the device authorization response (oidc-provider omits it,
// which means 5 s; tests want it short).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, interval: config.device_interval };
  }
});

// The `metadata` setting: which document lists the optional endpoints. The request
// handler below marks the RFC 8414 request (both are answered by the same route).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/.well-known/openid-configuration' || ctx.status !== 200
      || !ctx.body || typeof ctx.body !== 'object') return;
  const rfc8414 = ctx.req.tokenmgrDocument === 'rfc8414';
  const listed = config.metadata === 'full' || (config.metadata === 'rfc8414' && rfc8414);
  if (listed) return;
  const body = { ...ctx.body };
  for (const key of OPTIONAL_ENDPOINTS) delete body[key];
  ctx.body = body;
});

const callback = provider.callback();

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function takeFault(endpoint, grantType) {
  const i = faults.findIndex((f) => f.endpoint === endpoint
    && (!f.grant_type || f.grant_type === grantType) && f.count > 0);
  if (i < 0) return null;
  const f = faults[i];
  f.count -= 1;
  if (f.count <= 0) faults.splice(i, 1);
  return f;
}

function applyFault(fault, res, req) {
  switch (fault.mode) {
    case 'html':
      return send(res, 200, '<!DOCTYPE html><html><body>Maintenance</body></html>', 'text/html');
    case '500':
      return send(res, 500, 'Internal Server Error', 'text/plain');
    case 'no_access_token':
      return send(res, 200, { token_type: 'Bearer', expires_in: 3600 });
    case 'slow_down':
      return send(res, 400, { error: 'slow_down', error_description: 'poll less often' });
    case 'error':
      return send(res, fault.status ?? 400, { error: fault.error ?? 'invalid_request' });
    case 'drop':
    default:
      req.socket.destroy();
      return undefined;
  }
}

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (url.pathname.startsWith('/test/')) {
      const body = req.method === 'POST' ? await readBody(req) : '';
      const data = body ? JSON.parse(body) : {};
      switch (url.pathname) {
        case '/test/stats':
          return send(res, 200, stats);
        case '/test/reset':
          resetStats();
          faults = [];
          config = { ...defaults };
          return send(res, 200, { ok: true });
        case '/test/fault':
          faults.push({ count: 1, ...data });
          return send(res, 200, { ok: true, faults });
        case '/test/config':
          config = { ...config, ...data };
          return send(res, 200, config);
        default:
          return send(res, 404, { error: 'not_found' });
      }
    }
    // RFC 8414 well-known location for an issuer with a path: the path goes AFTER the suffix.
    if (url.pathname === `/.well-known/oauth-authorization-server${MOUNT}`) {
      if (takeFault('discovery')) return send(res, 404, { error: 'not_found' });
      req.originalUrl = `${MOUNT}/.well-known/openid-configuration`;
      req.url = '/.well-known/openid-configuration';
      req.tokenmgrDocument = 'rfc8414';
      return callback(req, res);
    }
    if (!(url.pathname === MOUNT || url.pathname.startsWith(`${MOUNT}/`))) {
      return send(res, 404, { error: 'not_found' });
    }
    const inner = url.pathname.slice(MOUNT.length) || '/';
    if (inner === '/.well-known/openid-configuration'
        && (!config.oidc_discovery || takeFault('discovery'))) {
      return send(res, 404, { error: 'not_found' });
    }
    if (req.method === 'POST' && (inner === '/token' || inner === '/token/revocation')) {
      const body = await readBody(req);
      const params = querystring.parse(body);
      if (inner === '/token') {
        const gt = String(params.grant_type ?? '');
        stats.token_requests[gt] = (stats.token_requests[gt] ?? 0) + 1;
        stats.last_token_params = recordable(params);
        if (gt === 'refresh_token') {
          const who = String(params.client_id ?? 'basic-auth');
          stats.refresh_by_client[who] = (stats.refresh_by_client[who] ?? 0) + 1;
        }
        if (gt === 'urn:ietf:params:oauth:grant-type:device_code') stats.device_polls += 1;
        const fault = takeFault('token', gt);
        if (fault) return applyFault(fault, res, req);
      } else {
        stats.revocations += 1;
        stats.revocation_hints.push(String(params.token_type_hint ?? ''));
        const fault = takeFault('revocation');
        if (fault) return applyFault(fault, res, req);
      }
      // oidc-provider reads an already-consumed body from req.body.
      req.body = body;
    }
    if (req.method === 'POST' && inner === '/token/introspection') stats.introspections += 1;
    if (req.method === 'GET' && inner === '/auth') {
      stats.last_auth_params = recordable(Object.fromEntries(url.searchParams));
    }
    req.originalUrl = req.url;
    req.url = inner + url.search;
    return callback(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
    return undefined;
  }
});

process.stdout.write(`${JSON.stringify({ issuer, port, base, profile: PROFILE_NAME })}\n`);

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
