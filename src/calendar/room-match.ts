// Which calendar events belong to a room (SPEC §3.4): those whose LOCATION or
// DESCRIPTION holds the room's public address, PUBLIC_URL/NAME or
// PUBLIC_URL/room/NAME (scheme optional), or the partial form room/NAME.
// SUMMARY is deliberately not searched: titles mention people, not rooms.

export type RoomMatcher = (text: string | null | undefined) => boolean;

// What may follow the name: the SPEC's list (end, / ? # whitespace quotes < > , .)
// plus closing punctuation seen around links in prose, Markdown and HTML-escaped
// text. Never a letter, digit, "-", "_" or "%": /max must not match /maxwell,
// /max-team, /max_1 or /max%2Dteam.
const END = `(?=$|[\\s/?#"'“”‘’<>,.;:!)\\]&])`;
// What may precede the partial form, so that xroom/max is not room/max.
const PARTIAL_START = `(?<=^|[\\s/"'“”‘’<(])`;
// The host must not be the tail of a longer host name (notexample.com).
const HOST_START = '(?<![\\w.-])';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Letters match either case, everything else literally (JS regexes cannot scope the i flag here). */
function anyCase(text: string): string {
  return [...text]
    .map((char) => (char.toLowerCase() !== char.toUpperCase() ? `[${char.toLowerCase()}${char.toUpperCase()}]` : escapeRegExp(char)))
    .join('');
}

/**
 * Builds the test for one room once. The host (and scheme) match in any case,
 * the path exactly; http and https are both accepted whatever PUBLIC_URL uses.
 */
export function createRoomMatcher(publicUrl: string, roomName: string): RoomMatcher {
  const base = new URL(publicUrl);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const name = escapeRegExp(roomName);
  const fullAddress = `${HOST_START}(?:${anyCase('http')}[sS]?://)?${anyCase(base.host)}${escapeRegExp(pathPrefix)}/(?:room/)?${name}${END}`;
  const partialAddress = `${PARTIAL_START}room/${name}${END}`;
  const pattern = new RegExp(`${fullAddress}|${partialAddress}`);
  return (text) => !!text && pattern.test(text);
}

export function eventRefersToRoom(
  matcher: RoomMatcher,
  event: { location: string | null; description: string | null },
): boolean {
  return matcher(event.location) || matcher(event.description);
}
