module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'messaging',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
  // test/reconnect.int-spec.ts stops and restarts the broker: no other file of this lib may be
  // talking to it at that moment.
  maxWorkers: 1,
};
