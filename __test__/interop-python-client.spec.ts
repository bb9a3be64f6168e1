// Our server against Python `websockets` 17.4's client, run as a child process bounded by timeouts.
import { spawn } from 'node:child_process'
import test from 'ava'
import { ensurePython, python } from '../scripts/python-env.mjs'
import { startEchoServer } from './helpers/server-echo.js'

test.before(() => {
  ensurePython()
})

// Opens with subprotocols/origin, echoes text, binary, a fragmented text and a 300 KB binary, then closes
// with the code/reason given on the command line, or asks the server to close first. Prints one JSON line.
const CLIENT = String.raw`
import json, sys
from websockets.sync.client import connect
url, mode = sys.argv[1], sys.argv[2]
out = {}
with connect(url, subprotocols=["Chat"], origin="http://py.test", open_timeout=5, close_timeout=5,
             max_size=2**21) as ws:
    out["subprotocol"] = ws.subprotocol
    ws.send("héllo"); out["text"] = ws.recv(timeout=5)
    ws.send(bytes([0, 255, 16])); out["binary"] = ws.recv(timeout=5).hex()
    ws.send(["frag", "men", "ted"]); out["fragmented"] = ws.recv(timeout=5)
    big = bytes(i % 251 for i in range(300000))
    ws.send(big); out["big_ok"] = ws.recv(timeout=5) == big
    if mode == "client-close":
        ws.close(4001, "bye")
    else:
        ws.send("close-me")
        try:
            ws.recv(timeout=5)
        except Exception:
            pass
    out["close"] = [ws.close_code, ws.close_reason]
print(json.dumps(out))
`

function runClient(url: string, mode: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', CLIENT, url, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`python client timed out: ${stderr}`))
    }, 20000)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`python client exited ${code}: ${stderr}`))
      else resolve(JSON.parse(stdout) as Record<string, unknown>)
    })
  })
}

test('python websockets client: echo, subprotocol, client-initiated close 4001', async (t) => {
  const server = await startEchoServer(t, { maxReceivedFrameSize: 0x100000, maxReceivedMessageSize: 0x100000 })
  const serverClose = server.nextClose()
  const out = await runClient(`ws://127.0.0.1:${server.port}/`, 'client-close')
  t.deepEqual(out, {
    subprotocol: 'Chat',
    text: 'héllo',
    binary: '00ff10',
    fragmented: 'fragmented',
    big_ok: true,
    // Our reply to a valid peer close is 1000 without a reason (WebSocket-Node's rule).
    close: [1000, ''],
  })
  t.deepEqual(await serverClose, [4001, 'bye'])
  t.deepEqual(server.protocols, ['chat'])
})

test('python websockets client: server-initiated close 4002 arrives with its reason', async (t) => {
  const server = await startEchoServer(t, { maxReceivedFrameSize: 0x100000, maxReceivedMessageSize: 0x100000 })
  const out = await runClient(`ws://127.0.0.1:${server.port}/`, 'server-close')
  t.deepEqual(out['close'], [4002, 'server bye'])
})
