import { builder } from './builder.js';

builder.queryField('serverTime', (t) =>
  t.field({
    type: 'DateTime',
    description:
      "The server's current time: a client's clock offset is serverTime − its own time at the response, for live countdowns. " +
      'A query that selects it is never answered from the response cache: ask for it in a query of its own.',
    resolve: (_root, _args, context) => context.services.clock.now(),
  }),
);
