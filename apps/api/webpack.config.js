module.exports = require('../../webpack.app.cjs')('api', {
  additionalEntryPoints: [
    { entryName: 'migrate', entryPath: './src/migrate.ts' },
    { entryName: 'openapi', entryPath: './src/openapi-export.ts' },
  ],
});
