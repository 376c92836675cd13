// A room's name is the last segment of its public address (PUBLIC_URL/NAME),
// so it must be a URL slug and must not shadow the server's own routes.
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const ROOM_NAME_MAX_LENGTH = 63;
const RESERVED = new Set(['graphql', 'health', 'ready', 'metrics', 'room', 'rooms', 'webhooks', 'api', 'static', 'assets']);

/** Returns why the name is not acceptable, or null when it is. */
export function roomNameProblem(name: string): string | null {
  if (name.length < 2 || name.length > ROOM_NAME_MAX_LENGTH) {
    return `Room name must be 2 to ${ROOM_NAME_MAX_LENGTH} characters long`;
  }
  if (!SLUG.test(name)) {
    return 'Room name may contain only lower-case letters, digits and single hyphens between them (e.g. "team-standup")';
  }
  if (RESERVED.has(name)) return `Room name "${name}" is reserved for the server's own addresses`;
  return null;
}
