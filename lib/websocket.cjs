'use strict'
// `require('websocket/lib/websocket')` as in WebSocket-Node: the same value the main entry exports (one module instance).
module.exports = require('../dist/index.js').default
