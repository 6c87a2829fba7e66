// Stylesheets imported by components mean nothing to server-rendered tests.
module.exports = {};
