/**
 * Options for a field of an object that belongs to a room (an event, a
 * meeting) that only the room's owner may see: loads the owner id with the
 * row, and gives everyone else null rather than failing the whole query.
 */
export const roomOwnerOnly = {
  nullable: true,
  select: { room: { select: { ownerId: true } } },
  authScopes: (parent: { room: { ownerId: string } }) => ({ roomOwner: parent.room.ownerId }),
  unauthorizedResolver: () => null,
} as const;
