// A room's calendar feed settings: the allowed intervals, and how the owner's
// changes become column updates (the API maps the errors to its typed results).
import type { Prisma } from '../generated/prisma/client.js';
import { normalizeIcsUrl } from './ics-url.js';

/** How often a room's feed may be fetched, in seconds (SPEC §2). */
export const ICS_FETCH_INTERVALS = [60, 300, 600, 1800, 3600] as const;
export const DEFAULT_ICS_FETCH_INTERVAL = 300;

/** A change the owner asked for; null or missing means "unchanged". */
export interface IcsSettingsChange {
  url?: string | null;
  enabled?: boolean | null;
  fetchInterval?: number | null;
}

/** A setting the owner must fix; `field` names it in the settings input. */
export class IcsSettingsError extends Error {
  override name = 'IcsSettingsError';
  constructor(
    message: string,
    readonly field: keyof IcsSettingsChange,
  ) {
    super(message);
  }
}

/** A new feed starts from scratch: validators and body belong to the old URL (the caller drops the stored body). */
const FRESH_FEED_STATE = { icsLastEtag: null, icsLastModified: null, icsLastHash: null, icsLastMatchDigest: null, icsFailureCount: 0 };

/** Columns of a room without a feed (clearIcsUrl). */
export const NO_FEED = { ...FRESH_FEED_STATE, icsUrlEncrypted: null, icsEnabled: false, icsNextSyncAt: null };

/** Validates a settings change and turns it into column updates; throws IcsSettingsError. */
export function icsSettingsColumns(
  change: IcsSettingsChange,
  current: { icsUrlEncrypted: string | null } | null,
  deps: { now: Date; allowHttp: boolean; encryptUrl(url: string): string },
): Prisma.RoomUpdateInput {
  const data: Prisma.RoomUpdateInput = {};
  if (change.url != null) {
    const checked = normalizeIcsUrl(change.url, { allowHttp: deps.allowHttp });
    if (!checked.ok) throw new IcsSettingsError(checked.problem, 'url');
    Object.assign(data, FRESH_FEED_STATE, { icsUrlEncrypted: deps.encryptUrl(checked.url), icsNextSyncAt: deps.now });
  }
  if (change.enabled != null) {
    const hasUrl = change.url != null || current?.icsUrlEncrypted != null;
    if (change.enabled && !hasUrl) throw new IcsSettingsError('Set an ICS URL before enabling calendar sync', 'enabled');
    data.icsEnabled = change.enabled;
    if (change.enabled) data.icsNextSyncAt = deps.now;
  }
  if (change.fetchInterval != null) data.icsFetchInterval = change.fetchInterval;
  return data;
}
