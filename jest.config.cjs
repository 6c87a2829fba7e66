// Unit and integration tests of every app and lib (end-to-end tests live in e2e/).
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const projects = ['apps', 'libs'].flatMap((dir) =>
  readdirSync(join(__dirname, dir))
    .map((name) => join(__dirname, dir, name, 'jest.config.cjs'))
    .filter((f) => existsSync(f)),
);

// testTimeout is a global option: in projects mode the presets' value does not apply.
module.exports = { projects, testTimeout: 30000 };
