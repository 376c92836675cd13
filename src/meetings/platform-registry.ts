// Which video platform serves a room: the built-in local one always, Whereby
// when the operator configured an API key.
import type { Config } from '../config.js';
import { createLocalPlatform } from './platforms/local-platform.js';
import type { VideoPlatform } from './platforms/video-platform.js';
import { createWherebyPlatform } from './platforms/whereby-client.js';

export class PlatformUnavailableError extends Error {
  override name = 'PlatformUnavailableError';
}

export interface PlatformRegistry {
  get(name: VideoPlatform['name']): VideoPlatform;
}

export function createPlatformRegistry(config: Pick<Config, 'publicUrl' | 'meetings'>): PlatformRegistry {
  const local = createLocalPlatform({ publicUrl: config.publicUrl });
  const { apiKey, apiUrl } = config.meetings.whereby;
  const whereby = apiKey ? createWherebyPlatform({ apiKey, baseUrl: apiUrl }) : undefined;
  return {
    get(name) {
      if (name === 'LOCAL') return local;
      if (!whereby) throw new PlatformUnavailableError('Whereby is not configured on this server (WHEREBY_API_KEY)');
      return whereby;
    },
  };
}
