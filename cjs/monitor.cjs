'use strict';
// require('steward/monitor'): the ES module itself on Node >= 20.19, else a clear error (see esm-only.cjs).
module.exports = require('./esm-only.cjs')('steward/monitor', '../dist/monitor/index.js');
