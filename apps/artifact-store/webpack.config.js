module.exports = require('../../webpack.app.cjs')('artifact-store');
