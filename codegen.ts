// Typed documents (TypedDocumentNode) for the operations the tests send,
// generated from the committed schema.graphql: `npm run codegen`.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', '!test/generated/**'],
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars: { DateTime: 'string', Date: 'string' }, enumsAsTypes: true, useTypeImports: true },
    },
  },
  importExtension: '.js',
  silent: true,
};

export default config;
