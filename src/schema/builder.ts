import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';
import { UUID } from '../db/uuid.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { AppContext } from './context.js';
import { forbidden, unauthenticated } from './errors.js';

/** Types with global ids; their database ids are uuids. */
const NODE_TYPES = new Set(['Room', 'CalendarEvent', 'Meeting']);

/** A malformed global id is an id of nothing (null, like an unknown one), not a masked internal error. */
function decodedOrNothing(globalID: string): { typename: string; id: string } {
  try {
    return decodeGlobalID(globalID);
  } catch {
    return { typename: '', id: '' };
  }
}

/** The database id behind a global id of the given type; null for anything else. */
export function databaseIdOf(globalID: string, typename: string): string | null {
  const { typename: actual, id } = decodedOrNothing(globalID);
  return actual === typename && UUID.test(id) ? id : null;
}

const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export const builder = new SchemaBuilder<{
  Context: AppContext;
  PrismaTypes: PrismaTypes;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date | string };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  AuthScopes: {
    authenticated: boolean;
  };
}>({
  // Relay first, so scope checks see decoded global ids (plugin-scope-auth docs).
  plugins: [RelayPlugin, ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({ authenticated: context.viewer !== null }),
    unauthorizedError: (_parent, context) => (context.viewer ? forbidden() : unauthenticated()),
  },
  errors: {
    // Mutation results are unions named after the mutation: CreateRoomResult = CreateRoomSuccess | NotFound | …
    defaultUnionOptions: {
      name: ({ fieldName }) => `${capitalized(fieldName)}Result`,
      description: 'The mutation\'s result, or one of the expected failures it can end in (switch on __typename).',
    },
    defaultResultOptions: {
      name: ({ fieldName }) => `${capitalized(fieldName)}Success`,
      description: 'The mutation succeeded.',
    },
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false, description: 'The page\'s items with their cursors.' },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    cursorFieldOptions: { description: 'Opaque cursor of this item: pass it as after or before.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'More items follow this page (ask with after: endCursor).' },
    hasPreviousPageFieldOptions: { description: 'More items precede this page (ask with before: startCursor).' },
    startCursorFieldOptions: { description: 'Cursor of the first item of this page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of this page.' },
    firstArgOptions: { description: 'Page size from the start or after `after` (default 20, at most 100).' },
    lastArgOptions: { description: 'Page size from the end or before `before` (at most 100).' },
    afterArgOptions: { description: 'Items after this cursor.' },
    beforeArgOptions: { description: 'Items before this cursor.' },
    idFieldOptions: { description: 'Global id: pass it to node(id:) to refetch this object.' },
    nodeTypeOptions: { description: 'An object that node(id:) can refetch by its global id.' },
    pageInfoTypeOptions: { description: 'Relay pagination state of a connection.' },
    decodeGlobalID: decodedOrNothing,
    nodeQueryOptions: {
      description: 'Any room, calendar event or meeting by its global id (the id field); null when it does not exist.',
      args: { id: { description: 'A global id, as returned in an id field.' } },
      resolve: (_root, { id }, _context, _info, resolveNode) =>
        NODE_TYPES.has(id.typename) && UUID.test(id.id) ? resolveNode(id) : null,
    },
    nodesQueryOptions: false,
    defaultConnectionTypeOptions: { description: 'One page of a list (Relay connection).' },
    defaultEdgeTypeOptions: { description: 'One item of a page, with its cursor.' },
  },
  prisma: {
    // The client depends on configuration (PGlite or PostgreSQL), so it is
    // looked up per request rather than imported.
    client: (context) => context.services.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'An instant, as an ISO 8601 string in UTC (2026-11-29T15:00:00.000Z).',
});
builder.addScalarType('Date', DateResolver, {
  description: 'A calendar date without a time, as an ISO 8601 string (2026-11-29).',
});
builder.queryType({ description: 'Reading rooms, their calendars and meetings.' });
builder.mutationType({ description: 'Changing rooms, syncing calendars, starting and joining meetings.' });
builder.subscriptionType({ description: 'Live updates for a room page over graphql-ws.' });

/**
 * The query a mutation's prismaField loads its row with. plugin-prisma 4.17
 * plans `{ select: {} }` when the caller selects only __typename or the error
 * members of the result union (the success type's data field is never
 * walked), and Prisma refuses an empty select: load the plain row instead.
 */
export function rowQuery<Query extends { select?: object }>(query: Query): Query {
  if (!query.select || Object.keys(query.select).length > 0) return query;
  const { select: _empty, ...plainRow } = query;
  return plainRow as Query;
}
