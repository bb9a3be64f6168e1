// Bounded waits for client-side events: every wait rejects after a deadline instead of hanging the test.
import type { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { WebSocketClient } from '../../ts/WebSocketClient.js'
import type { WebSocketConnection } from '../../ts/WebSocketConnection.js'

export type ConnectOutcome =
  | { event: 'connect'; connection: WebSocketConnection }
  | { event: 'connectFailed'; error: Error }
  | { event: 'httpResponse'; response: IncomingMessage }

/** The first of connect / connectFailed (/ httpResponse when `withHttpResponse`) from `client`, within `ms`. */
export function outcome(client: WebSocketClient, ms = 5000, withHttpResponse = false): Promise<ConnectOutcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect/connectFailed within ${ms} ms`)), ms)
    const done = (o: ConnectOutcome): void => {
      clearTimeout(timer)
      resolve(o)
    }
    client.once('connect', (connection) => done({ event: 'connect', connection }))
    client.once('connectFailed', (error) => done({ event: 'connectFailed', error }))
    if (withHttpResponse) client.once('httpResponse', (response) => done({ event: 'httpResponse', response }))
  })
}

/** Arguments of the next `name` event of `emitter`, within `ms`. */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: EventEmitter, name: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(name, on)
      reject(new Error(`no '${name}' event within ${ms} ms`))
    }, ms)
    function on(...args: unknown[]): void {
      clearTimeout(timer)
      resolve(args as T)
    }
    emitter.once(name, on)
  })
}

/** Resolve with the connection's `close` (code, description) within `ms`. */
export async function closeOf(connection: WebSocketConnection, ms = 5000): Promise<[number, string]> {
  return nextEvent<[number, string]>(connection as unknown as EventEmitter, 'close', ms)
}

/** Expect `connect`; otherwise throw with the failure for a readable test message. */
export function connected(o: ConnectOutcome): WebSocketConnection {
  if (o.event !== 'connect') {
    throw new Error(`expected connect, got ${o.event}: ${o.event === 'connectFailed' ? o.error.message : ''}`)
  }
  return o.connection
}

/** Expect `connectFailed` and return its error. */
export function failed(o: ConnectOutcome): Error {
  if (o.event !== 'connectFailed') throw new Error(`expected connectFailed, got ${o.event}`)
  return o.error
}
