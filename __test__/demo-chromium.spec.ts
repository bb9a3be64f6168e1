// The `npm start` demo as a user meets it: headless Chromium (Debian's package, installed by
// scripts/install-chromium.sh) opens the page, sends and receives through the echo and chat sockets, and a page
// served from a foreign origin is refused (403) by the demo's origin check.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { chromium, type Browser } from 'playwright-core'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const executablePath = '/usr/bin/chromium'

interface Demo {
  port: number
  output: () => string
}

function startDemo(t: { teardown(fn: () => void): void }): Promise<Demo> {
  const child = spawn(process.execPath, ['--import', '@oxc-node/core/register', 'examples/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => child.kill())
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start within 20 s: ${out}`)), 20000)
    const poll = setInterval(() => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (m) {
        clearTimeout(timer)
        clearInterval(poll)
        resolve({ port: Number(m[1]), output: () => out })
      }
    }, 20)
    child.once('exit', (code) => {
      clearTimeout(timer)
      clearInterval(poll)
      reject(new Error(`demo exited (${code}): ${out}`))
    })
  })
}

async function waitFor(check: () => boolean | Promise<boolean>, label: string, ms = 10000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${label}`)
}

let browser: Browser | undefined

test.before(async () => {
  if (!existsSync(executablePath)) throw new Error(`${executablePath} missing: run sh scripts/install-chromium.sh`)
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30000 })
})

test.after.always(async () => {
  await browser?.close()
})

test('demo page in Chromium: echo round trip through the page', async (t) => {
  const demo = await startDemo(t)
  const page = await browser!.newPage()
  t.teardown(() => page.close())
  await page.goto(`http://127.0.0.1:${demo.port}/`, { timeout: 15000 })
  const text = (id: string) => page.locator(`#${id}`).textContent({ timeout: 5000 })

  await waitFor(async () => ((await text('echo-log')) ?? '').includes('[connected]'), 'echo socket open')
  await page.fill('#echo-text', 'héllo from chromium')
  await page.click('#echo-form button')
  await waitFor(async () => ((await text('echo-log')) ?? '').includes('héllo from chromium'), 'echo reply')
  t.regex(demo.output(), /open echo/)
})

test('demo chat in Chromium, two pages: each line shows its sender and time, your own lines are marked', async (t) => {
  const demo = await startDemo(t)
  const open = async () => {
    const page = await browser!.newPage()
    t.teardown(() => page.close())
    await page.goto(`http://127.0.0.1:${demo.port}/`, { timeout: 15000 })
    await waitFor(async () => /You are guest-\d+\./.test((await page.locator('#chat-me').textContent()) ?? ''), 'a name')
    const me = /guest-\d+/.exec((await page.locator('#chat-me').textContent())!)![0]
    return { page, me }
  }
  const a = await open()
  const b = await open()
  t.not(a.me, b.me)
  // What each page shows for its chat lines: time, sender, text, and whether the line is marked as its own.
  const lines = (page: typeof a.page) =>
    page.$$eval('#chat-log div:not(.sys)', (divs) =>
      divs.map((d) => ({
        time: d.querySelector('time')?.textContent ?? '',
        from: d.querySelector('b')?.textContent ?? '',
        text: d.querySelector('span')?.textContent ?? '',
        mine: d.classList.contains('mine'),
        markup: d.querySelector('i') !== null,
      })),
    )
  await a.page.fill('#chat-text', 'hi <i>room</i>')
  await a.page.click('#chat-form button')
  await waitFor(async () => (await lines(b.page)).length === 1, 'the first line on the other page')
  await b.page.fill('#chat-text', 'hello back')
  await b.page.click('#chat-form button')
  await waitFor(async () => (await lines(a.page)).length === 2 && (await lines(b.page)).length === 2, 'both lines on both pages')
  for (const [view, who] of [[await lines(a.page), a.me], [await lines(b.page), b.me]] as const) {
    t.deepEqual(
      view.map(({ from, text, mine, markup }) => ({ from, text, mine, markup })),
      [
        { from: `${a.me}:`, text: 'hi <i>room</i>', mine: a.me === who, markup: false },
        { from: `${b.me}:`, text: 'hello back', mine: b.me === who, markup: false },
      ],
    )
    for (const line of view) t.regex(line.time, /^\d{1,2}:\d{2}:\d{2}/)
  }
  // "(you)" is drawn by CSS after the sender on one's own lines only.
  const after = (page: typeof a.page, i: number) =>
    page.evaluate(`getComputedStyle(document.querySelectorAll('#chat-log div:not(.sys) b')[${i}], '::after').content`)
  t.is(await after(a.page, 0), '" (you)"')
  t.is(await after(a.page, 1), 'none')
  t.is(await after(b.page, 1), '" (you)"')
  t.regex(demo.output(), /open chat/)
})

test('a page from a foreign origin is refused by the demo (403), and the page sees the failure', async (t) => {
  const demo = await startDemo(t)
  // The attacker's page: same browser, another origin (another port), opening a socket to the demo.
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>')
  })
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r))
  t.teardown(() => evil.close())
  const evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`

  const page = await browser!.newPage()
  t.teardown(() => page.close())
  await page.goto(`${evilOrigin}/`, { timeout: 15000 })
  const result = await page.evaluate(
    (port) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'echo')
        const timer = setTimeout(() => resolve('timeout'), 8000)
        ws.onopen = () => {
          clearTimeout(timer)
          resolve('opened')
        }
        ws.onclose = (e) => {
          clearTimeout(timer)
          resolve(`closed ${e.code}`)
        }
      }),
    demo.port,
  )
  t.is(result, 'closed 1006')
  await waitFor(() => demo.output().includes(`rejected origin ${evilOrigin}`), 'the demo logging the refusal')
  t.notRegex(demo.output(), /open echo/)
})
