// Shared jest settings. Nest 12 is ESM-only, so jest runs in native ESM mode
// (NODE_OPTIONS=--experimental-vm-modules) and @swc/jest compiles TypeScript with
// decorator metadata, which Nest's dependency injection and TypeORM need.
const path = require('node:path');

const root = __dirname;
const libs = ['api-client', 'contracts', 'messaging', 'packs', 'persistence', 'storage', 'testing', 'service-kit', 'workflows'];

module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^@attune/${l}$`, path.join(root, 'libs', l, 'src', 'index.ts')])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
};
