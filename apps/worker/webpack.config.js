// The core pack's scripts (core.http_request) ship beside the bundle: dist/apps/worker/packs/core.
// The spawner (src/spawner/main.ts) is a bundle of its own, spawner.js, forked by the worker.
module.exports = require('../../webpack.app.cjs')('worker', {
  assets: [{ input: 'packs/core', glob: '**/*', output: 'packs/core' }],
  additionalEntryPoints: [{ entryName: 'spawner', entryPath: 'apps/worker/src/spawner/main.ts' }],
});
