// server.mjs - the Pro Santé Connect stand-in: npm oidc-provider configured like PSC
// (Keycloak realm esante-wallet paths, scope_all claims, CIBA poll with the e-CPS
// phone or the CPS card, tls_client_auth and certificate-bound access tokens).
// Started by ./start (which makes the PKI and writes DIR/env); see README.md.
//
//   node server.mjs --dir DIR --igc-ca PKI_CA_DIR [--port N] [--access-ttl S]
//        [--ciba-ttl S] [--no-wallet-discovery] [--card-auto]
//
// Three HTTPS listeners on 127.0.0.1, all TLS 1.2 (a CPS3 signs PKCS#1 v1.5 only,
// TLS 1.3 client auth needs RSA-PSS):
//   main   (PSC_PORT): everything under the issuer; asks for a client certificate
//          (optional) for tls_client_auth, bound tokens and the card CIBA check.
//   wallet (PSC_WALLET_PORT): the browser-facing authorization endpoint and login
//          pages, without a certificate request (PSC has a separate wallet host too;
//          a browser with a card in its NSS database would otherwise be asked for
//          the PIN and a certificate on every page).
//   card   (PSC_CARD_PORT): the "Carte CPS" login, client certificate REQUIRED,
//          verified against the test IGC-Santé.
import { X509Certificate, createHash, createPrivateKey, randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import querystring from 'node:querystring';
import { Provider, errors } from 'oidc-provider';

// ------------------------------------------------------------------ options
const opt = {
  dir: '', igcCa: '', port: 0, accessTtl: 3600, cibaTtl: 120, walletDiscovery: true, cardAuto: false,
};
{
  const a = process.argv.slice(2);
  const num = (name, v) => {
    if (!/^[0-9]+$/.test(v ?? '')) { console.error(`server.mjs: ${name} needs a number`); process.exit(2); }
    return Number(v);
  };
  for (let i = 0; i < a.length; i += 1) {
    switch (a[i]) {
      case '--dir': opt.dir = a[++i]; break;
      case '--igc-ca': opt.igcCa = a[++i]; break;
      case '--port': opt.port = num('--port', a[++i]); break;
      case '--access-ttl': opt.accessTtl = num('--access-ttl', a[++i]); break;
      case '--ciba-ttl': opt.cibaTtl = num('--ciba-ttl', a[++i]); break;
      case '--no-wallet-discovery': opt.walletDiscovery = false; break;
      case '--card-auto': opt.cardAuto = true; break;
      default: console.error(`server.mjs: unknown argument '${a[i]}'`); process.exit(2);
    }
  }
  if (!opt.dir || !opt.igcCa) { console.error('server.mjs: --dir and --igc-ca are required'); process.exit(2); }
  if (opt.accessTtl < 1 || opt.cibaTtl < 1) { console.error('server.mjs: TTLs must be >= 1'); process.exit(2); }
}
const D = (f) => path.join(opt.dir, f);
const read = (f) => fs.readFileSync(f, 'utf8');

const PREFIX = '/auth/realms/esante-wallet';
const OIDC = '/protocol/openid-connect';
const CIBA_INTERVAL = 1;
const ACR_MOBILE = 'eidas1';
const ACR_CARD = 'eidas3';

// ------------------------------------------------------------------ events
// One JSON line per decision, "event" first; tests read DIR/events.log.
function event(name, fields = {}) {
  fs.appendFileSync(D('events.log'), `${JSON.stringify({ event: name, ...fields, time: new Date().toISOString() })}\n`);
}

// ------------------------------------------------------------------ PKI
const igcRoot = read(path.join(opt.igcCa, 'root.crt.pem'));
const igcPersonnes = read(path.join(opt.igcCa, 'intermediate.crt.pem'));
const structuresCa = read(D('structures-ca.crt.pem'));
const personnesX509 = new X509Certificate(igcPersonnes);
const rootX509 = new X509Certificate(igcRoot);
const rpDn = read(D('rp.dn')).trim();

// A subject as Node prints it ("C=FR\ntitle=...\nGN=A + CN=B") as `openssl x509
// -subject -nameopt RFC2253,-esc_msb` does: "CN=B+GN=A,title=...,C=FR".
function dnString(nodeSubject) {
  return nodeSubject.split('\n').reverse().map((rdn) => rdn.split(' + ').reverse().join('+')).join(',');
}
const normDn = (s) => s.split(',').map((x) => x.trim()).join(',').toLowerCase();

// A card certificate: issued by the test IGC-Santé "PERSONNES" CA, valid now.
function cardCertificate(socket) {
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return { error: 'no client certificate' };
  const x = new X509Certificate(peer.raw);
  if (!x.checkIssued(personnesX509) || !x.verify(personnesX509.publicKey)
      || !personnesX509.verify(rootX509.publicKey)) {
    return { error: 'the certificate is not issued by the test IGC-Santé (PERSONNES)' };
  }
  const now = Date.now();
  if (now < Date.parse(x.validFrom) || now > Date.parse(x.validTo)) return { error: 'certificate expired or not yet valid' };
  const cn = Array.isArray(peer.subject?.CN) ? peer.subject.CN[0] : peer.subject?.CN;
  return { x, subject: dnString(x.subject), idnat: cn ?? '' };
}

// ------------------------------------------------------------------ accounts
// The holders of the simulated cards (firmware/profiles/cps-*.profile: doctor,
// pharmacist, blocked, trace) and an e-CPS-only nurse (899700056789). sub = f:<uuid>:<idnat> as PSC.
const PEOPLE = [
  {
    idnat: '899700012345', uuid: '6f1c1a52-0b1e-4c53-9d4a-0c2b6d7a0001', card: true,
    family: 'MEDECIN-TEST', given: 'JEANNE', civilite: 'MME', profession: '10', categorie: 'C',
    role: '10^1.2.250.1.213.1.1.5.5', secteur: 'SA07^1.2.250.1.71.4.2.4', savoirFaire: 'SM54',
    org: 'CABINET MEDICAL TEST', orgId: '499700012345001', rpps: '99700012345',
  },
  {
    idnat: '899700023456', uuid: '6f1c1a52-0b1e-4c53-9d4a-0c2b6d7a0002', card: true,
    family: 'PHARMACIEN-TEST', given: 'PAUL', civilite: 'M', profession: '21', categorie: 'C',
    role: '21^1.2.250.1.213.1.1.5.5', secteur: 'SA33^1.2.250.1.71.4.2.4', savoirFaire: '',
    org: 'PHARMACIE TEST', orgId: '499700023456001', rpps: '99700023456',
  },
  {
    idnat: '899700034567', uuid: '6f1c1a52-0b1e-4c53-9d4a-0c2b6d7a0004', card: true,
    family: 'BLOQUE-TEST', given: 'LUCIE', civilite: 'MME', profession: '10', categorie: 'C',
    role: '10^1.2.250.1.213.1.1.5.5', secteur: 'SA07^1.2.250.1.71.4.2.4', savoirFaire: 'SM54',
    org: 'CABINET MEDICAL TEST', orgId: '499700012345001', rpps: '99700034567',
  },
  {
    idnat: '899700045678', uuid: '6f1c1a52-0b1e-4c53-9d4a-0c2b6d7a0005', card: true,
    family: 'TRACE-TEST', given: 'HÉLÈNE', civilite: 'MME', profession: '10', categorie: 'C',
    role: '10^1.2.250.1.213.1.1.5.5', secteur: 'SA07^1.2.250.1.71.4.2.4', savoirFaire: 'SM54',
    org: 'CABINET MEDICAL TEST', orgId: '499700012345001', rpps: '99700045678',
  },
  {
    // e-CPS only: no card
    idnat: '899700056789', uuid: '6f1c1a52-0b1e-4c53-9d4a-0c2b6d7a0003', card: false,
    family: 'INFIRMIER-TEST', given: 'CLAIRE', civilite: 'MME', profession: '60', categorie: 'C',
    role: '60^1.2.250.1.213.1.1.5.5', secteur: 'SA07^1.2.250.1.71.4.2.4', savoirFaire: '',
    org: 'CABINET INFIRMIER TEST', orgId: '499700056789001', rpps: '99700056789',
  },
];
const byIdnat = new Map(PEOPLE.map((p) => [p.idnat, p]));
const bySub = new Map(PEOPLE.map((p) => [`f:${p.uuid}:${p.idnat}`, p]));
const subOf = (p) => `f:${p.uuid}:${p.idnat}`;

function userinfoClaims(p) {
  return {
    SubjectNameID: p.idnat,
    preferred_username: p.idnat,
    given_name: p.given,
    family_name: p.family,
    email_verified: false,
    SubjectRole: [p.role],
    SubjectOrganization: p.org,
    SubjectOrganizationID: p.orgId,
    Secteur_Activite: p.secteur,
    Palier_Authentification: 'APPPRIP3^1.2.250.1.213.1.5.1.1.1',
    UITVersion: '1.0',
    SubjectRefPro: {
      codeCivilite: p.civilite,
      exercices: [{
        codeProfession: p.profession,
        codeCategorieProfessionnelle: p.categorie,
        codeCiviliteDexercice: p.civilite === 'MME' ? 'DR' : '',
        nomDexercice: p.family,
        prenomDexercice: p.given,
        codeTypeSavoirFaire: p.savoirFaire ? 'S' : '',
        codeSavoirFaire: p.savoirFaire,
        activities: [{
          codeModeExercice: 'L',
          codeSecteurDactivite: p.secteur.split('^')[0],
          codeSectionPharmacien: '',
          codeRole: 'FON-01',
          numeroSiretSite: '',
          numeroSirenSite: '',
          numeroFinessSite: '',
          numeroFinessetablissementJuridique: '',
          identifiantTechniqueDeLaStructure: `R${p.orgId}`,
          raisonSocialeSite: p.org,
          enseigneCommercialeSite: '',
          complementDestinataire: '',
          complementPointGeographique: '',
          numeroVoie: '1',
          indiceRepetitionVoie: '',
          codeTypeDeVoie: 'R',
          libelleVoie: 'DE LA SANTE',
          mentionDistribution: '',
          bureauCedex: '75014 PARIS',
          codePostal: '75014',
          codeCommune: '75114',
          codePays: '99000',
          telephone: '',
          telephone2: '',
          telecopie: '',
          adresseEMail: '',
          codeDepartement: '75',
          ancienIdentifiantDeLaStructure: p.orgId,
          autoriteDEnregistrement: 'ARS/ARS/ARS',
        }],
      }],
    },
    otherIds: [
      { identifiant: p.rpps, origine: 'RPPS', qualite: 1 },
      { identifiant: p.idnat, origine: 'IDNAT_PS', qualite: 1 },
    ],
  };
}
const SCOPE_ALL_CLAIMS = Object.keys(userinfoClaims(PEOPLE[0]));

// ------------------------------------------------------------------ CIBA book-keeping
// expires_in: --ciba-ttl, or a smaller requested_expiry
function cibaTtl(ctx) {
  const asked = Number(ctx?.oidc?.params.requested_expiry);
  return Number.isInteger(asked) && asked > 0 ? Math.min(asked, opt.cibaTtl) : opt.cibaTtl;
}

// auth_req_id -> { account, client, channel, binding, choices, exp, lastPoll, state }
const ciba = new Map();

function threeCodes(binding) {
  const set = new Set([binding]);
  while (set.size < 3) set.add(String(randomInt(100)).padStart(2, '0'));
  return [...set].sort(() => randomInt(3) - 1);
}

// ------------------------------------------------------------------ keys, clients
const jwk = createPrivateKey(read(D('jwks.key.pem'))).export({ format: 'jwk' });
jwk.kid = createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
jwk.alg = 'RS256';
jwk.use = 'sig';
const clientSecret = read(D('client-secret')).trim();

const common = {
  grant_types: ['urn:openid:params:grant-type:ciba', 'authorization_code', 'refresh_token'],
  response_types: ['code'],
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
  backchannel_token_delivery_mode: 'poll',
  id_token_signed_response_alg: 'RS256',
};
const clients = [
  {
    ...common,
    client_id: 'santecard-psc-mtls',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: rpDn,
    tls_client_certificate_bound_access_tokens: true,
  },
  {
    ...common,
    client_id: 'santecard-psc-secret',
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

// ------------------------------------------------------------------ provider
let provider; // set once the main listener's port is known (it is in the issuer)

function peerCert(ctx) {
  const peer = ctx.socket.getPeerCertificate?.();
  return peer && peer.raw ? new X509Certificate(peer.raw) : undefined;
}

function makeProvider(issuer) {
  const p = new Provider(issuer, {
    clients,
    clientAuthMethods: ['tls_client_auth', 'client_secret_basic', 'client_secret_post', 'none'],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    routes: {
      authorization: `${OIDC}/auth`,
      token: `${OIDC}/token`,
      userinfo: `${OIDC}/userinfo`,
      jwks: `${OIDC}/certs`,
      introspection: `${OIDC}/token/introspect`,
      revocation: `${OIDC}/revoke`,
      end_session: `${OIDC}/logout`,
      backchannel_authentication: `${OIDC}/ext/ciba/auth`,
    },
    scopes: ['openid', 'offline_access', 'scope_all', 'eidas1', 'eidas2', 'eidas3'],
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      scope_all: SCOPE_ALL_CLAIMS,
      profile: ['given_name', 'family_name', 'preferred_username'],
    },
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    extraParams: {
      channel(ctx, value) {
        if (value !== undefined && value !== 'MOBILE' && value !== 'CARD') {
          throw new errors.InvalidRequest("channel must be 'MOBILE' or 'CARD'");
        }
      },
    },
    pkce: { required: () => true },
    findAccount(ctx, sub) {
      const person = bySub.get(sub);
      if (!person) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...userinfoClaims(person) }) };
    },
    // refresh tokens for every client allowed the grant (PSC gives them without
    // offline_access), rotated on every use
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    interactions: { url: (ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: opt.accessTtl,
      BackchannelAuthenticationRequest: cibaTtl,
      IdToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        getCertificate: peerCert,
        certificateAuthorized: (ctx) => ctx.socket.authorized === true,
        certificateSubjectMatches(ctx, property, expected) {
          if (property !== 'tls_client_auth_subject_dn') return false;
          const x = peerCert(ctx);
          return !!x && normDn(dnString(x.subject)) === normDn(expected);
        },
      },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        processLoginHint(ctx, loginHint) {
          const person = byIdnat.get(loginHint);
          if (!person) throw new errors.UnknownUserId('unknown national id in login_hint');
          return subOf(person);
        },
        validateBindingMessage(ctx, bindingMessage) {
          if (typeof bindingMessage !== 'string' || !/^[0-9]{2}$/.test(bindingMessage)) {
            throw new errors.InvalidBindingMessage('binding_message must be 2 digits (00-99)');
          }
        },
        validateRequestContext() {},
        verifyUserCode() {},
        triggerAuthenticationDevice(ctx, request, account, client) {
          const person = bySub.get(account.accountId);
          const channel = ctx.oidc.params.channel ?? 'MOBILE';
          const rec = {
            account: person.idnat, client: client.clientId, channel, binding: request.params.binding_message,
            exp: Math.floor(Date.now() / 1000) + cibaTtl(ctx), lastPoll: 0, state: 'pending', choices: undefined,
          };
          if (channel === 'MOBILE') rec.choices = threeCodes(rec.binding);
          ciba.set(request.jti, rec);
          event('ciba-request', {
            auth_req_id: request.jti, account: person.idnat, client: client.clientId, channel,
            binding_message: rec.binding, scope: request.scope, expires_in: cibaTtl(ctx),
          });
        },
      },
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    conformIdTokenClaims: true,
    clockTolerance: 0, // tokens expire exactly at exp (--access-ttl tests refresh)
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html><head><title>PSC stand-in: error</title></head><body><h1>${html(out.error)}</h1><p>${html(out.error_description ?? '')}</p></body></html>`;
    },
  });
  p.proxy = false;
  p.on('server_error', (ctx, err) => console.error('server_error:', err));
  // token endpoint outcomes (the tool's tests can see a refresh happen); polls still
  // pending are not logged
  p.on('grant.success', (ctx) => event('token', {
    grant_type: ctx.oidc.params.grant_type, client: ctx.oidc.client?.clientId,
    account: ctx.oidc.entities.Account?.accountId ?? null,
  }));
  p.on('grant.error', (ctx, err) => {
    if (err.error === 'authorization_pending') return;
    event('token-error', { grant_type: ctx.oidc.params?.grant_type ?? null, client: ctx.oidc.client?.clientId ?? null, error: err.error ?? 'server_error' });
  });
  return p;
}

function html(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req, limit = 65536) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > limit) throw new Error('request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(ctx, status, body) {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

// Finish a CIBA request: approve (a Grant for the requested scopes) or deny.
async function cibaFinish(id, rec, approve, amr, why) {
  const request = await provider.BackchannelAuthenticationRequest.find(id, { ignoreExpiration: true });
  if (!request) throw new Error('request not found');
  if (approve) {
    const grant = new provider.Grant({ clientId: request.clientId, accountId: request.accountId });
    grant.addOIDCScope(request.scope);
    if (request.claims) grant.addOIDCClaims(Object.keys(request.claims.id_token ?? {}));
    await grant.save();
    await provider.backchannelResult(request, grant, {
      acr: amr === 'card' ? ACR_CARD : ACR_MOBILE, amr: [amr], authTime: Math.floor(Date.now() / 1000),
    });
    rec.state = 'approved';
  } else {
    await provider.backchannelResult(request, new errors.AccessDenied(why));
    rec.state = 'denied';
  }
  event(approve ? 'ciba-approved' : 'ciba-denied', {
    auth_req_id: id, account: rec.account, channel: rec.channel, amr, reason: why,
  });
}

// ------------------------------------------------------------------ our routes
const loginPage = (uid, cardUrl, hint) => `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (stand-in): connexion</title></head>
<body><h1>Pro Santé Connect (stand-in)</h1>
<p>Choisissez votre moyen d'authentification${hint ? ` (${html(hint)})` : ''} :</p>
<ul><li><a id="card" href="${html(cardUrl)}">Carte CPS</a></li></ul>
<p>e-CPS : utilisez la connexion CIBA (santecard-psc login --ecps).</p>
<p><small>interaction ${html(uid)}</small></p></body></html>\n`;

function routes(walletUrl, cardLoginUrl) {
  return async (ctx, next) => {
    const p = ctx.path;
    if (p === '/.well-known/openid-configuration') {
      await next();
      // the authorization endpoint is on the wallet listener, as PSC's wallet host
      if (ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        ctx.body.authorization_endpoint = `${walletUrl}${PREFIX}${OIDC}/auth`;
      }
      return;
    }

    // the login page of an authorization-code interaction
    let m = p.match(/^\/interaction\/([A-Za-z0-9_-]+)$/);
    if (m && ctx.method === 'GET') {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.prompt.name === 'consent') {
        // first-party native clients: no consent page, the requested scopes are granted
        const grant = (details.grantId && await provider.Grant.find(details.grantId))
          || new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } });
        ctx.status = 303;
        ctx.redirect(returnTo);
        return;
      }
      const cardUrl = `${cardLoginUrl}?uid=${encodeURIComponent(details.uid)}`;
      if (opt.cardAuto || details.params.login_hint === 'card') {
        ctx.redirect(cardUrl);
        return;
      }
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = loginPage(details.uid, cardUrl, details.params.login_hint);
      return;
    }

    // PSC answers the interval (oidc-provider leaves it out: 5 s by the spec)
    if (p === `${OIDC}/ext/ciba/auth`) {
      await next();
      if (ctx.status === 200 && ctx.body && typeof ctx.body === 'object' && ctx.body.auth_req_id) {
        ctx.body = { ...ctx.body, interval: CIBA_INTERVAL };
      }
      return;
    }

    // CIBA channel=CARD: the client proves it holds the card (mTLS with the CPS
    // authentication certificate); the national id in the CN must be login_hint's.
    if (p === `${OIDC}/ext/ciba/card`) {
      if (ctx.method !== 'POST') { json(ctx, 405, { error: 'invalid_request', error_description: 'POST only' }); return; }
      const form = querystring.parse(await readBody(ctx.req));
      const id = typeof form.auth_req_id === 'string' ? form.auth_req_id : '';
      const rec = ciba.get(id);
      const cc = cardCertificate(ctx.socket);
      const deny = (status, error, description) => {
        event('ciba-card', { auth_req_id: id, result: error, subject: cc.subject ?? null, reason: description });
        json(ctx, status, { error, error_description: description });
      };
      if (!rec) { deny(400, 'invalid_request', 'unknown auth_req_id'); return; }
      if (rec.channel !== 'CARD') { deny(400, 'invalid_request', 'the request was not made with channel=CARD'); return; }
      if (rec.state !== 'pending') { deny(400, 'invalid_request', `the request is already ${rec.state}`); return; }
      if (rec.exp <= Date.now() / 1000) { deny(400, 'expired_token', 'the request has expired'); return; }
      if (cc.error) { deny(403, 'access_denied', cc.error); return; }
      if (cc.idnat !== rec.account) {
        deny(403, 'access_denied', `the card's national id (${cc.idnat}) is not the login_hint's`);
        return;
      }
      event('ciba-card', { auth_req_id: id, result: 'approved', subject: cc.subject, account: rec.account });
      await cibaFinish(id, rec, true, 'card', 'card certificate');
      json(ctx, 200, { status: 'approved' });
      return;
    }

    // slow_down and expired_token for CIBA polling (oidc-provider has neither for
    // CIBA: it answers invalid_grant once the in-memory request is gone)
    if (p === `${OIDC}/token` && ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
      const raw = await readBody(ctx.req);
      ctx.req.body = raw; // oidc-provider parses it from here (the stream is consumed)
      const form = querystring.parse(raw);
      if (form.grant_type === 'urn:openid:params:grant-type:ciba' && typeof form.auth_req_id === 'string') {
        const rec = ciba.get(form.auth_req_id);
        if (rec) {
          const now = Date.now();
          const last = rec.lastPoll;
          rec.lastPoll = now;
          // expired, whether the user acted or not (the in-memory request is gone)
          if (rec.exp <= now / 1000) {
            event('ciba-poll', { auth_req_id: form.auth_req_id, result: 'expired_token' });
            json(ctx, 400, { error: 'expired_token', error_description: 'backchannel authentication request is expired' });
            return;
          }
          // 100 ms of tolerance for timers
          if (last && now - last < CIBA_INTERVAL * 1000 - 100) {
            event('ciba-poll', { auth_req_id: form.auth_req_id, result: 'slow_down', since_ms: now - last });
            json(ctx, 400, { error: 'slow_down', error_description: `poll at most every ${CIBA_INTERVAL} s` });
            return;
          }
        }
      }
      await next();
      return;
    }
    await next();
  };
}

// The simulated e-CPS phone's loopback API (outside the issuer).
async function phoneApi(req, res) {
  const u = new URL(req.url, 'https://localhost');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  if (u.pathname === '/_standin/phone/pending' && req.method === 'GET') {
    const account = u.searchParams.get('account');
    const now = Date.now() / 1000;
    const list = [];
    for (const [id, r] of ciba) {
      if (r.channel === 'MOBILE' && r.state === 'pending' && r.exp > now && (!account || r.account === account)) {
        list.push({ auth_req_id: id, account: r.account, binding_message: r.binding, choices: r.choices, expires_at: r.exp });
      }
    }
    send(200, list);
    return;
  }
  if (u.pathname === '/_standin/phone/answer' && req.method === 'POST') {
    let body;
    try { body = JSON.parse(await readBody(req)); } catch { send(400, { error: 'bad JSON' }); return; }
    const id = body.auth_req_id;
    const rec = ciba.get(id);
    if (!rec || rec.channel !== 'MOBILE') { send(404, { error: 'unknown request' }); return; }
    if (rec.state !== 'pending') { send(409, { error: `already ${rec.state}` }); return; }
    const mode = body.mode ?? '';
    event('phone-decision', { auth_req_id: id, account: rec.account, mode, code: body.code ?? null, binding_message: rec.binding });
    if (mode === 'deny') {
      await cibaFinish(id, rec, false, 'mobile', 'the user denied the request on the e-CPS app');
    } else if (mode === 'approve' || mode === 'wrong-code') {
      if (!rec.choices.includes(body.code)) { send(400, { error: 'code not among the choices' }); return; }
      if (body.code === rec.binding) await cibaFinish(id, rec, true, 'mobile', 'the user picked the right code');
      else await cibaFinish(id, rec, false, 'mobile', 'the user picked a wrong code on the e-CPS app');
    } else if (mode === 'ignore') {
      rec.seen = true; // shown, never answered
    } else { send(400, { error: 'mode must be approve, deny, wrong-code or ignore' }); return; }
    send(200, { state: rec.state });
    return;
  }
  send(404, { error: 'not_found' });
}

// ------------------------------------------------------------------ listeners
const tlsBase = {
  key: read(D('server.key.pem')),
  cert: read(D('server.crt.pem')),
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
};

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
}

let callback = null;
function dispatch(req, res) {
  if (req.url.startsWith('/_standin/phone/')) {
    phoneApi(req, res).catch((e) => { console.error(e); res.destroy(); });
    return;
  }
  // PSC's non-standard discovery name
  const wellKnown = `${PREFIX}/.well-known/`;
  if (req.url.split('?')[0] === `${wellKnown}wallet-openid-configuration`) {
    if (!opt.walletDiscovery) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found","error_description":"--no-wallet-discovery"}');
      return;
    }
    req.url = req.url.replace(`${wellKnown}wallet-openid-configuration`, `${wellKnown}openid-configuration`);
  }
  if (req.url === PREFIX || req.url.startsWith(`${PREFIX}/`) || req.url.startsWith(`${PREFIX}?`)) {
    // mounted under the issuer's path, as express mounts it: oidc-provider
    // derives its URLs from originalUrl minus url
    req.originalUrl = req.url;
    req.url = req.url.slice(PREFIX.length) || '/';
    callback(req, res);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"not_found"}');
}

const main = https.createServer({
  ...tlsBase,
  ca: [igcRoot, igcPersonnes, structuresCa],
  requestCert: true,
  rejectUnauthorized: false,
}, dispatch);
const wallet = https.createServer({ ...tlsBase }, dispatch);

// The card login: the peer certificate is the proof; its CN is the national id.
const card = https.createServer({
  ...tlsBase,
  ca: [igcRoot, igcPersonnes],
  requestCert: true,
  rejectUnauthorized: true,
}, (req, res) => {
  (async () => {
    const u = new URL(req.url, 'https://localhost');
    const page = (status, title, text) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${html(title)}</title></head><body><h1>${html(title)}</h1><p>${html(text)}</p></body></html>\n`);
    };
    if (u.pathname !== '/card-login') { page(404, 'PSC card login: not found', u.pathname); return; }
    const cc = cardCertificate(req.socket);
    const uid = u.searchParams.get('uid') ?? '';
    if (cc.error) {
      event('card-login', { subject: cc.subject ?? null, uid, result: 'refused', reason: cc.error });
      page(403, 'PSC card login: refused', cc.error);
      return;
    }
    const person = byIdnat.get(cc.idnat);
    const known = person && person.card;
    event('card-login', {
      subject: cc.subject, idnat: cc.idnat, uid, result: known ? 'ok' : 'unknown-account',
      account: known ? subOf(person) : null,
    });
    if (!known) { page(403, 'PSC card login: unknown professional', cc.subject); return; }
    if (!uid) { page(200, `PSC card login OK ${cc.subject}`, `authenticated as ${person.family} ${person.given}`); return; }
    const interaction = await provider.Interaction.find(uid);
    if (!interaction) { page(400, 'PSC card login: no such interaction', uid); return; }
    const hint = interaction.params.login_hint;
    if (hint && hint !== 'card' && hint !== cc.idnat) {
      page(403, 'PSC card login: wrong card', `this card is ${cc.idnat}, the login was asked for ${hint}`);
      return;
    }
    interaction.result = {
      login: { accountId: subOf(person), acr: ACR_CARD, amr: ['card'], remember: false },
    };
    await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
    res.writeHead(303, { location: interaction.returnTo, 'content-length': '0' });
    res.end();
  })().catch((e) => { console.error('card-login:', e); if (!res.headersSent) { res.writeHead(500); } res.end(); });
});

const port = await listen(main, opt.port);
const walletPort = await listen(wallet, 0);
const cardPort = await listen(card, 0);
const issuer = `https://localhost:${port}${PREFIX}`;
const walletUrl = `https://localhost:${walletPort}`;
const cardLoginUrl = `https://localhost:${cardPort}/card-login`;
provider = makeProvider(issuer);
provider.use(routes(walletUrl, cardLoginUrl));
callback = provider.callback();

for (const s of [main, wallet, card]) {
  s.on('tlsClientError', () => {}); // refused handshakes (no card certificate...) are not server errors
}
const stop = () => { event('stop', {}); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

event('start', { issuer, port, wallet_port: walletPort, card_port: cardPort, pid: process.pid });
fs.writeFileSync(D('ready.tmp'), `${port} ${walletPort} ${cardPort}\n`);
fs.renameSync(D('ready.tmp'), D('ready'));
console.log(`PSC stand-in: issuer ${issuer}, wallet ${walletUrl}, card login ${cardLoginUrl}`);
