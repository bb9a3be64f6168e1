// examples/cluster/server.ts as a user runs it: 2 node:cluster workers, a private redis-server, the chat page's
// protocol. Two clients that landed on different workers see each other's lines; SIGTERM stops everything.
import test from 'ava'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

test('cluster example: lines cross workers through Redis; SIGTERM stops workers and redis-server', async (t) => {
  t.timeout(90_000)
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', WORKERS: '2' }
  delete env.REDIS_URL
  const demo = spawn(process.execPath, ['--import', '@oxc-node/core/register', 'examples/cluster/server.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    demo.kill('SIGKILL')
  })
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'open http://…' line in 30 s:\n${out}`)), 30_000)
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
  })
  const members: { ws: WebSocket; name: string; lines: string[] }[] = []
  const join = () =>
    new Promise<{ ws: WebSocket; name: string; lines: string[] }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'chat', { origin: `http://127.0.0.1:${port}` })
      const lines: string[] = []
      ws.on('error', reject)
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string; name?: string; from?: string; text?: string }
        if (m.type === 'welcome') resolve({ ws, name: m.name!, lines })
        else lines.push(`${m.from}: ${m.text}`)
      })
    })
  // Connections are spread round-robin over the workers: join until two members are on different workers.
  const worker = (name: string) => name.split('@')[1]
  for (let i = 0; i < 10 && new Set(members.map((m) => worker(m.name))).size < 2; i++) members.push(await join())
  const a = members[0]!
  const b = members.find((m) => worker(m.name) !== worker(a.name))
  t.truthy(b, `all members on one worker: ${members.map((m) => m.name).join(', ')}`)
  // The second worker's Redis subscription may still be on its way: say hello until b hears it.
  const deadline = Date.now() + 20_000
  while (!b!.lines.some((l) => l === `${a.name}: hello from ${worker(a.name)}`) && Date.now() < deadline) {
    a.ws.send(`hello from ${worker(a.name)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.true(b!.lines.includes(`${a.name}: hello from ${worker(a.name)}`))
  b!.ws.send('hi back')
  const until = Date.now() + 10_000
  while (!a.lines.includes(`${b!.name}: hi back`) && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  t.true(a.lines.includes(`${b!.name}: hi back`))
  for (const m of members) m.ws.terminate()
  demo.kill('SIGTERM')
  const timer = setTimeout(() => demo.kill('SIGKILL'), 15_000)
  t.is(await exited, 0, 'the demo stopped by itself after SIGTERM')
  clearTimeout(timer)
})
