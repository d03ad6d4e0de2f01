// verify-jwt.mjs - check an ID token independently of the provider's code paths:
// signature with the JWKS (npm jose), issuer, audience, expiry; prints the payload.
//
//   node verify-jwt.mjs JWKS.json ISSUER AUDIENCE < token
import fs from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';

const [jwksFile, issuer, audience] = process.argv.slice(2);
if (!audience) { console.error('usage: node verify-jwt.mjs JWKS.json ISSUER AUDIENCE < token'); process.exit(2); }
const token = fs.readFileSync(0, 'utf8').trim();
try {
  const jwks = createLocalJWKSet(JSON.parse(fs.readFileSync(jwksFile, 'utf8')));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (e) {
  console.error(`verify-jwt: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
