// Which video platform serves a room: the built-in local one always, Whereby
// when the operator configured an API key.
import type { Config } from '../config.js';
import { createLocalPlatform } from './platforms/local-platform.js';
import type { VideoPlatform } from './platforms/video-platform.js';
import { createWherebyPlatform } from './platforms/whereby-client.js';

export type PlatformName = VideoPlatform['name'];

/** The room's platform is not configured on this server (the message names the missing setting). */
export class PlatformNotConfiguredError extends Error {
  override name = 'PlatformNotConfiguredError';
}

export interface PlatformRegistry {
  /** Throws PlatformNotConfiguredError for a platform this server has not configured. */
  get(name: PlatformName): VideoPlatform;
  /** Why this server cannot host meetings on the platform, or null when it can. */
  unavailableReason(name: PlatformName): string | null;
}

export function createPlatformRegistry(config: Pick<Config, 'publicUrl' | 'meetings'>): PlatformRegistry {
  const local = createLocalPlatform({ publicUrl: config.publicUrl });
  const { apiKey, apiUrl } = config.meetings.whereby;
  const whereby = apiKey ? createWherebyPlatform({ apiKey, baseUrl: apiUrl }) : undefined;
  const unavailableReason = (name: PlatformName) =>
    name === 'WHEREBY' && !whereby ? 'WHEREBY_API_KEY is not set on this server, so its rooms cannot use Whereby' : null;
  return {
    unavailableReason,
    get(name) {
      const reason = unavailableReason(name);
      if (reason) throw new PlatformNotConfiguredError(reason);
      return name === 'LOCAL' ? local : whereby!;
    },
  };
}
