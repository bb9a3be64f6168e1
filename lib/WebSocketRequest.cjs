'use strict'
// `require('websocket/lib/WebSocketRequest')` as in WebSocket-Node: the same value the main entry exports (one module instance).
module.exports = require('../dist/index.js').WebSocketRequest
