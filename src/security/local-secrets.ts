// On the embedded default a newcomer should not have to invent keys: the ICS
// URL encryption key and the development JWT secret are created once in the
// data folder (mode 0600) and reused on every start. With PostgreSQL the
// configuration must provide them, since every instance has to share them.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function readOrCreateSecretFile(dataDir: string, fileName: string, bytes: number): Promise<string> {
  const file = path.join(dataDir, fileName);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(bytes).toString('hex');
  try {
    // 'wx' fails if another process created it in the meantime: then read theirs.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(file, 'utf8')).trim();
  }
}

export const ICS_KEY_FILE = 'ics-url.key';
export const DEV_JWT_SECRET_FILE = 'dev-jwt.secret';
