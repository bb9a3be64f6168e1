// The demo (`npm start`) runs: serves its page, echoes, relays chat, and refuses foreign origins.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function startDemo(t: { teardown(fn: () => void): void }): Promise<number> {
  const child = spawn(process.execPath, ['--import', '@oxc-node/core/register', 'examples/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => child.kill())
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`demo did not start within 20 s: ${out}`)), 20000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code) => reject(new Error(`demo exited (${code}): ${out}`)))
  })
}

function attempt(url: string, origin: string, protocol: string, send: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocol, { origin })
    const timer = setTimeout(() => {
      ws.terminate()
      resolve('timeout')
    }, 5000)
    const done = (result: string): void => {
      clearTimeout(timer)
      ws.terminate()
      resolve(result)
    }
    ws.on('open', () => ws.send(send))
    ws.on('message', (data) => done(`${ws.protocol}:${data.toString()}`))
    ws.on('unexpected-response', (_req, res) => done(`refused ${res.statusCode}`))
    ws.on('error', (e) => done(`error ${e.message}`))
  })
}

test('demo: page served; echo and chat from the page origin; other origins refused with 403', async (t) => {
  const port = await startDemo(t)
  const page = await fetch(`http://127.0.0.1:${port}/`)
  t.is(page.status, 200)
  t.true((await page.text()).includes('new WebSocket('))
  const url = `ws://127.0.0.1:${port}/`
  const own = `http://127.0.0.1:${port}`
  t.is(await attempt(url, own, 'echo', 'hi'), 'echo:hi')
  t.is(await attempt(url, own, 'chat', 'hello room'), 'chat:hello room')
  t.is(await attempt(url, 'http://evil.test', 'echo', 'hi'), 'refused 403')
  t.is(await attempt(url, `http://localhost:${port}`, 'echo', 'hi'), 'refused 403')
  t.is(await attempt(url, own, 'other', 'hi'), 'refused 400')
})
