import { builder } from './builder.js';

builder.queryField('serverTime', (t) =>
  t.field({
    type: 'DateTime',
    description: "The server's current time: a client's clock offset is serverTime − its own time at the response, for live countdowns.",
    resolve: (_root, _args, context) => context.services.clock.now(),
  }),
);
