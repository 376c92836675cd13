// Owner-only fields of objects that belong to a room (events, meetings): the
// room's owner sees them, everyone else gets null (not an error). Hiding is a
// plain comparison — no GraphQLError per hidden field — and the owner of each
// room is read at most once per request (anonymous viewers: never), instead
// of joining Room for every row.
import type { AppContext } from './context.js';

const ownersByRequest = new WeakMap<AppContext, Map<string, Promise<string | null>>>();

function ownersOf(context: AppContext): Map<string, Promise<string | null>> {
  let owners = ownersByRequest.get(context);
  if (!owners) ownersByRequest.set(context, (owners = new Map()));
  return owners;
}

/** Records a room already loaded in this request, so its events and meetings need no owner look-up. */
export function rememberRoomOwner(context: AppContext, room: { id: string; ownerId: string }): void {
  ownersOf(context).set(room.id, Promise.resolve(room.ownerId));
}

/** Whether the caller owns the room with this id. */
export async function ownsRoom(context: AppContext, roomId: string): Promise<boolean> {
  const userId = context.viewer?.userId;
  if (!userId) return false;
  const owners = ownersOf(context);
  let owner = owners.get(roomId);
  if (!owner) {
    owner = context.services.db.room
      .findUnique({ where: { id: roomId }, select: { ownerId: true } })
      .then((room) => room?.ownerId ?? null);
    owners.set(roomId, owner);
  }
  return (await owner) === userId;
}

export const OWNER_ONLY = 'Owner only: null for everyone but the room owner.';

/**
 * Options for an owner-only field of a room's event or meeting: nullable,
 * described as owner only, and resolved only for the owner. The row is loaded
 * with only the columns its fields ask for (plugin-prisma's select mode), so
 * the field names its columns in `select`; roomId, for the owner check, is
 * always added.
 */
export function roomOwnerOnly<Select extends Record<string, true>, Parent extends object, Result>(
  description: string,
  select: Select,
  resolve: (parent: Parent, context: AppContext) => Result,
) {
  return {
    nullable: true as const,
    description: `${description} ${OWNER_ONLY}`,
    select: { roomId: true as const, ...select },
    resolve: async (parent: Parent & { roomId: string }, _args: object, context: AppContext) =>
      (await ownsRoom(context, parent.roomId)) ? resolve(parent, context) : null,
  };
}
