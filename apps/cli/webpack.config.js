const { chmodSync } = require('node:fs');
const { join } = require('node:path');
const { BannerPlugin } = require('webpack');

// The shared app build, self-contained: commander and tar are bundled (externalDependencies
// 'none'), so the command works from any directory (npm link, a copy of dist/) without the
// repository's node_modules.
const config = require('../../webpack.app.cjs')('cli', { externalDependencies: 'none' });

/** The bundle is the `attune` command itself: npm's bin links and a direct ./main.js both need the x bit. */
class ExecutablePlugin {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('ExecutablePlugin', () => chmodSync(join(config.output.path, 'main.js'), 0o755));
  }
}

config.plugins.push(new BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true }), new ExecutablePlugin());
module.exports = config;
