'use strict';
// require('steward/dom'): the ES module itself on Node >= 20.19, else a clear error (see esm-only.cjs).
module.exports = require('./esm-only.cjs')('steward/dom', '../dist/dom/index.js');
