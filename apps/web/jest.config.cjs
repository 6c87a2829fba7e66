// Unit tests of the web app's pure logic (SSE parsing, forms from parameter schemas, formatting).
// The pages themselves are tested in a real browser: e2e/src/web.e2e-spec.ts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'web',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
