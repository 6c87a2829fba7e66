// Unit and integration tests of every app and lib (end-to-end tests live in e2e/).
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const projects = ['apps', 'libs'].flatMap((dir) =>
  readdirSync(join(__dirname, dir))
    .map((name) => join(__dirname, dir, name, 'jest.config.cjs'))
    .filter((f) => existsSync(f)),
);

// testTimeout and maxWorkers are global options: in projects mode the presets' values do not apply.
// One worker: libs/messaging's reconnect test stops and restarts the broker, and the integration
// tests share one Postgres and one RabbitMQ, so no two files may run at once (npm test also says --runInBand).
module.exports = { projects, testTimeout: 30000, maxWorkers: 1 };
