// The webpack build shared by the NestJS services: a CommonJS bundle per app in dist/apps/<name>,
// node_modules left external (Nest 12 is ESM-only and is loaded by Node's require(esm)). Type
// checking is the root `tsc -p tsconfig.json` step of `npm test`, not part of each bundle.
const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

module.exports = function nestAppWebpackConfig(name, options = {}) {
  return {
    output: { path: join(__dirname, 'dist/apps', name), clean: true },
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
        ...options,
      }),
    ],
  };
};
