/** How often a room's feed may be fetched, in seconds (SPEC §2). */
export const ICS_FETCH_INTERVALS = [60, 300, 600, 1800, 3600] as const;
export const DEFAULT_ICS_FETCH_INTERVAL = 300;
