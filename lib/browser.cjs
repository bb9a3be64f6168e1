'use strict'
// `require('websocket/lib/browser')` as in WebSocket-Node: the same value the main entry exports (one module instance).
module.exports = require('../dist/browser.js').default
