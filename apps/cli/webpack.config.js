const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { chmodSync } = require('node:fs');
const { join } = require('node:path');
const { BannerPlugin } = require('webpack');

const outputPath = join(__dirname, '../../dist/apps/cli');

/** The bundle is the `attune` command itself: npm's bin links and a direct ./main.js both need the x bit. */
class ExecutablePlugin {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('ExecutablePlugin', () => chmodSync(join(outputPath, 'main.js'), 0o755));
  }
}

module.exports = {
  output: { path: outputPath, clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      sourceMap: true,
      skipTypeChecking: true,
      generatePackageJson: false,
      // Self-contained: commander and tar are bundled, so the command works from any directory
      // (npm link, a copy of dist/) without the repository's node_modules.
      externalDependencies: 'none',
    }),
    new BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true }),
    new ExecutablePlugin(),
  ],
};
