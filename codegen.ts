// Typed documents generated from the committed schema.graphql: `npm run codegen`.
// - test/generated: TypedDocumentNode for the operations the tests send.
// - web/src/generated: the room page's operations (web/src/operations.ts) as
//   typed strings, so the browser bundle needs no GraphQL parser.
import type { CodegenConfig } from '@graphql-codegen/cli';

const shared = { scalars: { DateTime: 'string', Date: 'string' }, enumsAsTypes: true, useTypeImports: true };

const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'test/generated/': {
      documents: ['test/**/*.ts', '!test/generated/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: shared,
    },
    'web/src/generated/': {
      documents: ['web/src/operations.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { ...shared, documentMode: 'string' },
    },
  },
  importExtension: '.js',
  // The production image builds the room page without test/: no test documents there.
  ignoreNoDocuments: true,
  silent: true,
};

export default config;
