// Our own WebSocketServer on 127.0.0.1:0 for client ↔ server tests, torn down with the test.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ExecutionContext } from 'ava'
import { WebSocketServer, type IServerConfig } from '../../ts/WebSocketServer.js'

export async function startOurServer(
  t: ExecutionContext,
  config: Omit<IServerConfig, 'httpServer'> = {},
): Promise<{ port: number; wsServer: WebSocketServer }> {
  const httpServer = http.createServer()
  const wsServer = new WebSocketServer({ ...config, httpServer })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        wsServer.shutDown()
        httpServer.closeAllConnections()
        httpServer.close(() => resolve())
      }),
  )
  return { port: (httpServer.address() as AddressInfo).port, wsServer }
}
