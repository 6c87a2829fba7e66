import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The house rules as lint errors (docs/architecture.md, "Boundaries"). Each one is proven to bite by
// libs/testing/src/module-boundaries.spec.ts.
//
// Tags (project.json):
//   type:app | type:lib | type:e2e       apps never import apps; libs never import apps
//   kind:service   api, executor, artifact-store: may use the database and the blob store
//   kind:worker    worker: no database connection, no blob store (it reaches both through the api)
//   kind:client    cli, web: clients of the HTTP API
//   scope:contracts  libs/contracts: imports no lib and no framework
//   scope:shared     messaging, packs, service-kit, workflows
//   scope:data       persistence, storage: only kind:service apps reach them
//   scope:testing    libs/testing: only test code reaches it
// onlyDependOnLibsWithTags checks the imported project itself. notDependOnLibsWithTags is avoided on
// purpose: it follows the project graph transitively, and that graph includes test files' imports
// (packs' tests use libs/testing, which uses persistence), so it would refuse the worker's import of packs.

/** Frameworks and drivers the contracts lib must not import: its payload classes are shared by every app. */
const FRAMEWORKS = ['@nestjs/*', 'typeorm', 'express', 'amqplib', 'amqp-connection-manager', 'pg', '@aws-sdk/*'];

const production = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'kind:service', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared', 'scope:data'] },
  { sourceTag: 'kind:worker', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared'] },
  { sourceTag: 'kind:client', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared'] },
  { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: FRAMEWORKS },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared'] },
  { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared'] },
];

// Test code may also use libs/testing; the worker and the clients still never reach the database.
const tests = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'kind:worker', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared', 'scope:testing'] },
  { sourceTag: 'kind:client', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:shared', 'scope:testing'] },
  { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: ['scope:testing'], bannedExternalImports: FRAMEWORKS },
];

const TEST_FILES = ['**/*.spec.ts', '**/*.spec.tsx', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'e2e/**/*.ts', 'libs/testing/**/*.ts'];

export default [
  // libs/api-client/src/schema.ts is generated (npm run openapi:client) and checked by the api's tests.
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/var', '**/coverage', 'libs/api-client/src/schema.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: true, allow: [], depConstraints: production }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Controllers only map HTTP to services: no repository, no blob store, no SQL.
    files: ['apps/api/src/**/*.controller.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@attune/persistence'],
              importNamePattern: 'Repository$|^DataSource$|^EntityManager$|^PersistenceModule$',
              message: 'Controllers only map HTTP to services: call a service, which uses the repository.',
            },
            { group: ['@attune/storage', '@attune/storage/*'], message: 'Controllers only map HTTP to services: call a service, which uses the blob store.' },
            { group: ['typeorm', 'pg'], message: 'Controllers only map HTTP to services: SQL lives in repositories (libs/persistence).' },
          ],
        },
      ],
    },
  },
  {
    // Services know nothing of Express: the HTTP layer (controllers, guards, filters, middleware,
    // common/http's sendBlob and upload receiver, and the app's HTTP setup) hands them values and streams.
    files: ['apps/api/src/**/*.ts'],
    ignores: [
      ...TEST_FILES,
      'apps/api/src/**/*.controller.ts',
      'apps/api/src/**/*.guard.ts',
      'apps/api/src/**/*.filter.ts',
      'apps/api/src/**/*.middleware.ts',
      'apps/api/src/**/*.interceptor.ts',
      'apps/api/src/common/http/**',
      'apps/api/src/app.setup.ts',
      'apps/api/src/common/http-hardening.ts',
      'apps/api/src/web/web-ui.module.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['express', 'express/*', 'express-serve-static-core', '@nestjs/platform-express'],
              message: 'Services know nothing of Express: take values and streams; the controller handles the request and response.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests may use the testing lib and loose typing of HTTP bodies.
    files: TEST_FILES,
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: tests }],
    },
  },
  {
    files: ['**/*.cjs', '**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
