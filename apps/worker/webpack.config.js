module.exports = require('../../webpack.app.cjs')('worker');
