import { describe, expect, it } from 'vitest';
import { createRoomMatcher, eventRefersToRoom } from '../../src/calendar/room-match.js';

type Row = [text: string, matches: boolean];

function table(publicUrl: string, roomName: string, rows: Row[]): void {
  const matcher = createRoomMatcher(publicUrl, roomName);
  describe(`${publicUrl} room ${roomName}`, () => {
    it.each(rows)('%j → %s', (text, expected) => {
      expect(matcher(text)).toBe(expected);
    });
  });
}

table('https://example.com', 'max', [
  // full address, scheme optional, either scheme, host in any case
  ['https://example.com/max', true],
  ['http://example.com/max', true],
  ['example.com/max', true],
  ['HTTPS://EXAMPLE.COM/max', true],
  ['https://Example.Com/max', true],
  ['https://example.com/room/max', true],
  ['example.com/room/max', true],
  // boundaries after the name
  ['https://example.com/max/', true],
  ['https://example.com/max?join=1', true],
  ['https://example.com/max#now', true],
  ['Join at https://example.com/max.', true],
  ['https://example.com/max, or call in', true],
  ['https://example.com/max\nDial-in: +1 555', true],
  ['https://example.com/max\ttab', true],
  ['"https://example.com/max"', true],
  ["'https://example.com/max'", true],
  ['<https://example.com/max>', true],
  ['<a href="https://example.com/max">Max room</a>', true],
  ['<a href="https://example.com/room/max">join</a>', true],
  ['[Max](https://example.com/max)', true],
  ['href=&quot;https://example.com/max&quot;', true],
  ['(see https://example.com/max)', true],
  ['Room: https://example.com/max; bring snacks', true],
  ['Where: “https://example.com/max”', true],
  ['Teams link: https://teams.example/x\nRoom: https://example.com/max', true],
  // partial form room/NAME
  ['room/max', true],
  ['Meet in room/max', true],
  ['/room/max', true],
  ['(room/max)', true],
  ['"room/max"', true],
  ['<room/max>', true],
  ['room/max.', true],
  ['https://elsewhere.example/room/max', true],
  // negatives: longer names
  ['https://example.com/maxwell', false],
  ['https://example.com/max-team', false],
  ['https://example.com/max_1', false],
  ['https://example.com/max1', false],
  ['https://example.com/max%2Dteam', false],
  ['https://example.com/room/maxwell', false],
  ['room/max-team', false],
  ['room/maxwell', false],
  // negatives: other hosts, paths, forms
  ['https://other.com/max', false],
  ['https://notexample.com/max', false],
  ['https://sub.example.com/max', false],
  ['https://example.com.evil.com/max', false],
  ['https://example.com/other/max', false],
  ['https://example.com/Max', false],
  ['xroom/max', false],
  ['myroom/max', false],
  ['rooms/max', false],
  ['room-max', false],
  ['max', false],
  ['Meeting with max', false],
  ['', false],
]);

table('https://example.com', 'team-standup-2', [
  ['https://example.com/team-standup-2', true],
  ['room/team-standup-2', true],
  ['https://example.com/team-standup-2?x', true],
  ['https://example.com/team-standup', false],
  ['https://example.com/team-standup-20', false],
  ['https://example.com/team-standup-2-old', false],
  ['room/team-standup', false],
]);

table('https://meet.example.org:8443/meet', 'max', [
  ['https://meet.example.org:8443/meet/max', true],
  ['meet.example.org:8443/meet/max', true],
  ['https://MEET.example.org:8443/meet/room/max', true],
  ['<a href="https://meet.example.org:8443/meet/max">Join</a>', true],
  ['room/max', true],
  ['https://meet.example.org/meet/max', false], // port missing
  ['https://meet.example.org:8444/meet/max', false],
  ['https://meet.example.org:8443/max', false], // path prefix missing
  ['https://meet.example.org:8443/meeting/max', false],
  ['https://meet.example.org:8443/meet/maxwell', false],
]);

// PUBLIC_URL given with a trailing slash, and regex metacharacters in host/path.
table('http://localhost:3000/a+b/', 'max', [
  ['http://localhost:3000/a+b/max', true],
  ['localhost:3000/a+b/max', true],
  ['http://localhost:3000/aab/max', false],
  ['http://localhost:3000/a+b/maxi', false],
]);

describe('createRoomMatcher', () => {
  const matcher = createRoomMatcher('https://example.com', 'max');

  it.each([null, undefined, ''])('does not match %j', (text) => {
    expect(matcher(text)).toBe(false);
  });

  it('gives the same answer on repeated calls (no regex state between calls)', () => {
    const text = 'https://example.com/max';
    expect([matcher(text), matcher(text), matcher(text)]).toEqual([true, true, true]);
  });
});

describe('eventRefersToRoom', () => {
  const matcher = createRoomMatcher('https://example.com', 'max');

  it.each([
    [{ location: 'https://example.com/max', description: null }, true],
    [{ location: null, description: 'Join: https://example.com/max' }, true],
    [{ location: 'Building 4', description: 'Agenda: room/max' }, true],
    [{ location: 'https://example.com/maxwell', description: 'nothing here' }, false],
    [{ location: null, description: null }, false],
  ])('%j → %s', (event, expected) => {
    expect(eventRefersToRoom(matcher, event)).toBe(expected);
  });

  it('ignores the summary', () => {
    const event = { summary: 'Standup in https://example.com/max', location: null, description: 'no link' };
    expect(eventRefersToRoom(matcher, event)).toBe(false);
  });
});
