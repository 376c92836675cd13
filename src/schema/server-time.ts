import { builder } from './builder.js';

builder.queryField('serverTime', (t) =>
  t.field({
    type: 'DateTime',
    description: "The server's current time, for a client's clock offset in live countdowns.",
    resolve: (_root, _args, context) => context.services.clock.now(),
  }),
);
