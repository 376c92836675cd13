// One process per PGlite data directory. PGlite is PostgreSQL in WASM without
// the postmaster's own lock: a second process opening the same folder crashed
// with `RuntimeError: Aborted()` and could corrupt it. proper-lockfile keeps
// `<dir>.lock` fresh while we run; a lock left by a killed process goes stale
// after 10 s and is taken over.
import lockfile from 'proper-lockfile';

export class DataDirectoryInUseError extends Error {
  override name = 'DataDirectoryInUseError';
}

/** Locks `dir` (which must exist) for this process; resolves to the release function. */
export async function lockDataDirectory(dir: string, onLost?: (error: Error) => void): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(dir, { retries: 0, ...(onLost ? { onCompromised: onLost } : {}) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new DataDirectoryInUseError(
        `The data directory ${dir} is in use by another roomcal process. Stop it first, or give this one its own DATA_DIR.`,
      );
    }
    throw error;
  }
}
