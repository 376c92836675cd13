import type { Config } from '../config.js';
import { DEV_JWT_SECRET_FILE, ICS_KEY_FILE, readOrCreateSecretFile } from './local-secrets.js';
import { parseEncryptionKey } from './url-cipher.js';

export interface Secrets {
  icsEncryptionKey: Buffer;
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  /** True when the JWT secret is the generated development one. */
  usesDevJwtSecret: boolean;
}

/**
 * Keys from the configuration; on the embedded default, missing ones are
 * created in DATA_DIR (config validation requires them with PostgreSQL).
 */
export async function resolveSecrets(config: Config): Promise<Secrets> {
  const icsKey = config.icsEncryptionKey ?? (await readOrCreateSecretFile(config.dataDir, ICS_KEY_FILE, 32));
  const usesDevJwtSecret = !config.jwt.secret && !config.jwt.jwksUrl;
  const secret = usesDevJwtSecret ? await readOrCreateSecretFile(config.dataDir, DEV_JWT_SECRET_FILE, 32) : config.jwt.secret;
  return { icsEncryptionKey: parseEncryptionKey(icsKey), jwt: { ...config.jwt, secret }, usesDevJwtSecret };
}
