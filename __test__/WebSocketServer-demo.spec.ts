// The demo (`npm start`) runs: serves its page, echoes, relays chat, and refuses foreign origins.
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function spawnDemo(port: string) {
  return spawn(process.execPath, ['--import', '@oxc-node/core/register', 'examples/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

function startDemo(t: { teardown(fn: () => void): void }): Promise<number> {
  const child = spawnDemo('0')
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
  t.regex(await attempt(url, own, 'chat', 'hello room'), /^chat:\{"type":"welcome","name":"guest-\d+"\}$/)
  t.is(await attempt(url, 'http://evil.test', 'echo', 'hi'), 'refused 403')
  t.is(await attempt(url, `http://localhost:${port}`, 'echo', 'hi'), 'refused 403')
  t.is(await attempt(url, own, 'other', 'hi'), 'refused 400')
})

/** Opens a chat socket and collects the JSON messages it gets. */
async function chatMember(url: string, origin: string) {
  const ws = new WebSocket(url, 'chat', { origin })
  const got: Array<Record<string, string>> = []
  ws.on('message', (d) => got.push(JSON.parse(d.toString()) as Record<string, string>))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, got }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

test('demo chat: each member gets a name; every line goes to everyone with its sender and the server time', async (t) => {
  const port = await startDemo(t)
  const url = `ws://127.0.0.1:${port}/`
  const own = `http://127.0.0.1:${port}`
  const a = await chatMember(url, own)
  const b = await chatMember(url, own)
  t.teardown(() => {
    a.ws.terminate()
    b.ws.terminate()
  })
  await until(() => a.got.length === 1 && b.got.length === 1, 'welcome messages')
  const nameA = a.got[0]!.name!
  const nameB = b.got[0]!.name!
  t.regex(nameA, /^guest-\d+$/)
  t.not(nameA, nameB)
  const before = Date.now()
  a.ws.send('<b>hi</b> room')
  await until(() => a.got.length === 2 && b.got.length === 2, 'the line relayed to both')
  for (const m of [a.got[1]!, b.got[1]!]) {
    t.is(m.type, 'line')
    t.is(m.from, nameA)
    t.is(m.text, '<b>hi</b> room')
    const time = Date.parse(m.time!)
    t.true(time >= before - 1000 && time <= Date.now() + 1000, m.time)
  }
})

test('npm start on a busy port says "port N is in use, set PORT" and exits 1, without a stack trace', async (t) => {
  const blocker = net.createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as net.AddressInfo).port
  const child = spawnDemo(String(port))
  t.teardown(() => child.kill())
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo still running after 20 s: ${out}${err}`)), 20000)
    child.once('close', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  t.is(code, 1)
  t.is(err.trim(), `port ${port} is in use, set PORT (e.g. PORT=8081 npm start)`)
  t.notRegex(out + err, /\n\s+at /)
})

test('npm start with PORT that is not a port number says so and exits 1', async (t) => {
  const child = spawnDemo('eighty')
  t.teardown(() => child.kill())
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('demo still running after 20 s')), 20000)
    child.once('close', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  t.is(code, 1)
  t.is(err.trim(), 'PORT=eighty is not a port number (0-65535)')
})
