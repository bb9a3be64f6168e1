// Real servers for our client to talk to: the `ws` package (plain and over https), and Python `websockets`
// 17.4 in a child process. All bound to 127.0.0.1:0 and torn down with the test.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ExecutionContext } from 'ava'
import { WebSocketServer as WsServer, type WebSocket as WsSocket } from 'ws'
import { python } from '../../scripts/python-env.mjs'

/**
 * Echo behaviour shared by the peers: echo every message (text as text, binary as binary); on path
 * `/close4001` close at once with 4001 "bye"; select `chat` when offered, otherwise no subprotocol.
 */
function wsEcho(ws: WsSocket, url: string | undefined, closes: Array<[number, string]>): void {
  if (url === '/close4001') {
    ws.close(4001, 'bye')
    return
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('close', (code, reason) => closes.push([code, reason.toString()]))
}

export interface Peer {
  port: number
  /** (code, reason) of every close the server saw from a client. */
  closes: Array<[number, string]>
}

function wsOptions(): ConstructorParameters<typeof WsServer>[0] {
  return {
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
  }
}

/** `ws` server over plain http. */
export async function startWsPeer(t: ExecutionContext): Promise<Peer> {
  const server = http.createServer()
  const closes: Array<[number, string]> = []
  const wss = new WsServer({ ...wsOptions(), server })
  wss.on('connection', (ws, req) => wsEcho(ws, req.url, closes))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => closeHttp(server, wss))
  return { port: (server.address() as AddressInfo).port, closes }
}

/** A self-signed certificate for CN=localhost with SANs localhost and 127.0.0.1, valid one day. */
export function makeCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferrosocket-cert-'))
  try {
    const keyFile = path.join(dir, 'key.pem')
    const certFile = path.join(dir, 'cert.pem')
    const r = spawnSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', keyFile, '-out', certFile,
      ],
      { stdio: 'pipe', timeout: 30000 },
    )
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr?.toString()}`)
    return { key: readFileSync(keyFile), cert: readFileSync(certFile) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `ws` server over https with the given certificate. */
export async function startWssPeer(t: ExecutionContext, cred: { key: Buffer; cert: Buffer }): Promise<Peer> {
  const server = https.createServer(cred)
  const closes: Array<[number, string]> = []
  const wss = new WsServer({ ...wsOptions(), server })
  wss.on('connection', (ws, req) => wsEcho(ws, req.url, closes))
  // A failed TLS handshake (the untrusted-cert test) is reported here; it must not crash the test process.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => closeHttp(server, wss))
  return { port: (server.address() as AddressInfo).port, closes }
}

function closeHttp(server: http.Server | https.Server, wss: WsServer): Promise<void> {
  return new Promise((resolve) => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

const PY_SERVER = `
import asyncio, sys
from websockets.asyncio.server import serve

def select(conn, offered):
    return "chat" if "chat" in offered else None

def process_request(conn, request):
    if request.path == "/reject":
        return conn.respond(403, "no\\n")

async def handler(ws):
    if ws.request.path == "/close4001":
        await ws.close(4001, "bye")
        return
    async for msg in ws:
        await ws.send(msg)

async def main():
    async with serve(handler, "127.0.0.1", 0, select_subprotocol=select, process_request=process_request,
                     max_size=64 * 2**20) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        # Exit when the parent goes away (stdin closes), so no orphan outlives a crashed test run.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
`

/** Python `websockets` echo server (same behaviour as the ws peer, plus `/reject` → 403). */
export async function startPythonPeer(t: ExecutionContext): Promise<{ port: number }> {
  const child = spawn(python, ['-c', PY_SERVER], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  t.teardown(() => {
    child.stdin.end()
    child.kill()
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`python server did not start in 15 s: ${stderr}`)), 15000)
    child.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer)
      resolve(Number.parseInt(d.toString(), 10))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`python server exited (${code}): ${stderr}`))
    })
  })
  return { port }
}
