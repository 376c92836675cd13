// `npm run token -- --sub alice [--name "Alice"] [--ttl 12h]`: mints an HS256
// token for local use, signed with JWT_SECRET or the development secret the
// server created in DATA_DIR.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ConfigError, loadConfig } from '../src/config.js';
import { resolveSecrets } from '../src/security/secrets.js';

const { values } = parseArgs({
  options: { sub: { type: 'string' }, name: { type: 'string' }, ttl: { type: 'string', default: '12h' } },
});
if (!values.sub) {
  console.error('usage: npm run token -- --sub <user id> [--name <display name>] [--ttl 12h]');
  process.exit(2);
}
try {
  const config = loadConfig();
  if (config.jwt.jwksUrl) throw new Error('JWT_JWKS_URL is set: tokens come from your identity provider');
  const { jwt } = await resolveSecrets(config);
  let token = new SignJWT(values.name ? { name: values.name } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.sub)
    .setIssuedAt()
    .setExpirationTime(values.ttl!);
  if (jwt.issuer) token = token.setIssuer(jwt.issuer);
  if (jwt.audience) token = token.setAudience(jwt.audience);
  console.log(await token.sign(new TextEncoder().encode(jwt.secret)));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : (error as Error).message);
  process.exit(1);
}
