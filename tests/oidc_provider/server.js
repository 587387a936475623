// The real OpenID provider the tests start: panva's oidc-provider (OpenID Certified),
// configured from a JSON file (argv[2]). It prints "READY <issuer>" once listening.
//
// Config: { port, clients: [client metadata], accounts: { id: { password, claims } },
//           client_claims: { clientId: claims }, apis: [{ resource, audience }] }
// The first API is the default resource of every grant.
// People sign in at /interaction/<uid> (a plain form: login, password); consent for the
// requested scopes is granted with the sign-in, as a partnership's provider would.
import fs from 'node:fs';
import http from 'node:http';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts || {};
const clientClaims = config.client_claims || {};
const apis = config.apis || [];

const provider = new Provider(issuer, {
  clients: config.clients,
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    qa: ['qa_partnership', 'qa_roles', 'qa_agencies'],
  },
  scopes: ['openid', 'profile', 'qa', 'api', 'offline_access'],
  conformIdTokenClaims: false,
  cookies: { keys: ['test-only-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => apis[0].resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        const api = apis.find((a) => a.resource === resource);
        if (!api) throw new Error('unknown resource');
        return {
          scope: 'api',
          audience: api.audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: config.access_token_ttl || 600,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (ctx, token) => {
    if (token.accountId && accounts[token.accountId]) return accounts[token.accountId].claims;
    if (token.clientId && clientClaims[token.clientId]) return clientClaims[token.clientId];
    return undefined;
  },
  findAccount: (ctx, id) => {
    if (!accounts[id]) return undefined;
    return { accountId: id, claims: () => ({ sub: id, ...accounts[id].claims }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

function page(uid) {
  return `<!DOCTYPE html><html lang="en"><head><title>Test provider sign-in</title></head>
<body><form method="post" action="/interaction/${uid}">
<label>Login <input name="login"></label><label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page(uid));
    return;
  }
  const form = await body(req);
  const login = form.get('login') || '';
  const account = accounts[login];
  if (!account || account.password !== form.get('password')) {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end('wrong login or password');
    return;
  }
  const { params } = details;
  const grant = new provider.Grant({ accountId: login, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  grant.addOIDCClaims(['name', 'qa_partnership', 'qa_roles', 'qa_agencies']);
  for (const api of apis) grant.addResourceScope(api.resource, 'api');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: login }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url || '');
  if (match) {
    interaction(req, res, match[1]).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(err && err.message));
    });
    return;
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});
