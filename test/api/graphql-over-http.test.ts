// The GraphQL over HTTP spec's audit suite (graphql-http) against the real
// server: every MUST and every SHOULD/MAY audit passes.
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('pglite');
});
afterAll(() => server?.close());

describe('GraphQL over HTTP audits', () => {
  for (const audit of serverAudits({ url: () => server.graphqlUrl })) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect(result.status, result.status === 'ok' ? '' : result.reason).toBe('ok');
    });
  }
});
