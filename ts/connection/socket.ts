/**
 * The socket side of a connection. The listeners are shared functions that find their connection on the socket
 * (as ws does), not 7 closures per connection: idle memory (issue 7).
 */
import type { Socket } from 'node:net'

/** What the socket listeners call. */
export interface SocketOwner {
  handleSocketData(data: Buffer): void
  _onSocketError(error: NodeJS.ErrnoException): void
  _onSocketEnd(): void
  _onSocketClose(hadError: boolean): void
  _onSocketDrain(): void
  _onSocketPause(): void
  _onSocketResume(): void
}

const kConnection = Symbol('ferrosocket.connection')
type OwnedSocket = Socket & { [kConnection]: SocketOwner }

function onSocketData(this: OwnedSocket, data: Buffer): void {
  this[kConnection].handleSocketData(data)
}
function onSocketError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
  this[kConnection]._onSocketError(error)
}
function onSocketEnd(this: OwnedSocket): void {
  this[kConnection]._onSocketEnd()
}
function onSocketClose(this: OwnedSocket, hadError: boolean): void {
  this[kConnection]._onSocketClose(hadError)
}
function onSocketDrain(this: OwnedSocket): void {
  this[kConnection]._onSocketDrain()
}
function onSocketPause(this: OwnedSocket): void {
  this[kConnection]._onSocketPause()
}
function onSocketResume(this: OwnedSocket): void {
  this[kConnection]._onSocketResume()
}

/**
 * Ties `socket` to `owner` and listens for `'error'` at once: WebSocket-Node removed all error listeners here and
 * crashed on ECONNRESET before the handshake write completed (issues #407, #458).
 */
export function ownSocket(socket: Socket, owner: SocketOwner): void {
  ;(socket as OwnedSocket)[kConnection] = owner
  socket.on('error', onSocketError)
}

/** The remaining listeners, once the handshake is done. */
export function listenToSocket(socket: Socket): void {
  socket.on('data', onSocketData)
  socket.on('end', onSocketEnd)
  socket.on('close', onSocketClose)
  socket.on('drain', onSocketDrain)
  socket.on('pause', onSocketPause)
  socket.on('resume', onSocketResume)
}
