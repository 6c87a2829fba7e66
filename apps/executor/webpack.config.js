module.exports = require('../../webpack.app.cjs')('executor');
