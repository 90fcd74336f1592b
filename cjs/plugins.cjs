'use strict';
// require('steward/plugins'): the ES module itself on Node >= 20.19, else a clear error (see esm-only.cjs).
module.exports = require('./esm-only.cjs')('steward/plugins', '../dist/plugins/index.js');
