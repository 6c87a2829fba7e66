// Unit tests of the web app's pure logic (SSE parsing, forms from parameter schemas, formatting,
// ANSI logs, the workflow graph's layout) and server-rendered component tests (`*.spec.tsx`,
// react-dom/server in node: no DOM is simulated). The pages themselves are tested in a real
// browser: e2e/src/web.e2e-spec.ts.
const preset = require('../../jest.preset.cjs');
const swc = preset.transform['^.+\\.ts$'];

module.exports = {
  ...preset,
  displayName: 'web',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.spec.tsx'],
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleFileExtensions: ['tsx', ...preset.moduleFileExtensions],
  transform: {
    ...preset.transform,
    '^.+\\.tsx$': [
      swc[0],
      { ...swc[1], jsc: { ...swc[1].jsc, parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
    ],
  },
  moduleNameMapper: { ...preset.moduleNameMapper, '\\.css$': '<rootDir>/src/test/style-stub.cjs' },
};
