// The core pack's scripts (core.http_request) ship beside the bundle: dist/apps/worker/packs/core.
module.exports = require('../../webpack.app.cjs')('worker', {
  assets: [{ input: 'packs/core', glob: '**/*', output: 'packs/core' }],
});
