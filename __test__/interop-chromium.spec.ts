// Interop matrix, our server ⇄ headless Chromium (Debian's `chromium`, installed by scripts/install-chromium.sh,
// driven by playwright-core). The page is served by the same http server as the WebSocket endpoint, so the Origin
// is the page's real origin. Chromium offers `permessage-deflate; client_max_window_bits`. Run twice: with our
// default (compression off) we negotiate no extension and the browser must accept that (WebSocket.extensions ===
// ''); with `perMessageDeflate` on, we agree to it and every payload (up to 1 MiB, text and binary, compressed by
// Chromium and by us) still passes byte-exact.
import { existsSync } from 'node:fs'
import test, { type ExecutionContext } from 'ava'
import { chromium } from 'playwright-core'
import type { ClientRun } from './helpers/interop-clients.js'
import { browserScript, type BrowserRun } from './helpers/interop-browser.js'
import { checkPair, ownClose } from './helpers/interop-check.js'
import { CLOSE_CASES, within } from './helpers/interop-payloads.js'
import { startOurServer } from './helpers/interop-servers.js'

const executablePath = '/usr/bin/chromium'

const title = 'our server ⇄ headless Chromium: payloads, server pings, subprotocol, closes, Origin'

for (const deflate of [false, true]) {
  test(`${title}, ${deflate ? 'permessage-deflate agreed' : 'deflate declined (default)'}`, async (t) => {
    await chromiumRun(t, deflate)
  })
}

async function chromiumRun(t: ExecutionContext, deflate: boolean): Promise<void> {
  t.timeout(90000)
  // Installed by `npm test` (scripts/install-chromium.sh); a missing browser is a failure, never a skip.
  t.true(existsSync(executablePath), `${executablePath} missing: run sh scripts/install-chromium.sh`)
  const page = '<!doctype html><meta charset="utf-8"><title>ferrosocket interop</title>'
  const server = await startOurServer(t, { page, ...(deflate ? { perMessageDeflate: { threshold: 0 } } : {}) })
  const serverAgreed: string[] = []
  server.wsServer.on('connect', (c) => serverAgreed.push(c.extensions.map((e) => e.name).join(', ')))
  const launch = chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 30000 })
  const browser = await within(launch, 40000, 'chromium launch')
  t.teardown(() => browser.close())
  const tab = await browser.newPage()
  // The handshake as Chromium's network stack saw it (DevTools protocol), to check the 101 itself.
  const cdp = await tab.context().newCDPSession(tab)
  await cdp.send('Network.enable')
  const offered: string[] = []
  const answered: Array<Record<string, string>> = []
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) =>
    offered.push(header(e.request.headers, 'Sec-WebSocket-Extensions')),
  )
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) =>
    answered.push({ status: String(e.response.status), ...e.response.headers }),
  )
  const pageUrl = `http://127.0.0.1:${server.port}/page`
  const response = await tab.goto(pageUrl, { timeout: 15000 })
  t.is(response?.status(), 200)
  const origin = await tab.evaluate('location.origin')
  t.is(origin, `http://127.0.0.1:${server.port}`)

  const result = (await within(tab.evaluate(browserScript(server.port)), 60000, 'browser script')) as BrowserRun
  const run: ClientRun = { reports: new Map(Object.entries(result.reports)) }
  if (result.close1001Refused !== undefined) run.close1001Refused = result.close1001Refused
  await checkPair(t, run, server.records, {
    // Chromium's close event reports the reply it got: ours answers every close with 1000 and no reason.
    clientInitiatorSees: () => [1000, ''],
    serverInitiatorSees: ownClose,
    clientPings: false,
    serverSeesPings: false,
    origin: String(origin),
  })
  for (const c of CLOSE_CASES) {
    const rec = await server.records.get(c.id)
    t.regex(rec.extensionsOffered ?? '', /permessage-deflate/u, `${c.id}: Chromium offered permessage-deflate`)
    const agreed = deflate ? 'permessage-deflate' : ''
    t.is(result.extensions[c.id], agreed, `${c.id}: what the 101 negotiated, as the browser reports it`)
  }
  t.is(offered.length, CLOSE_CASES.length)
  for (const ext of offered) t.is(ext, 'permessage-deflate; client_max_window_bits')
  t.is(answered.length, CLOSE_CASES.length)
  for (const headers of answered) {
    t.is(headers.status, '101')
    const expected = deflate ? 'permessage-deflate' : ''
    t.is(header(headers, 'Sec-WebSocket-Extensions'), expected)
    t.is(header(headers, 'Sec-WebSocket-Protocol'), 'echo')
  }
  // Our side of every connection agreed to exactly what the browser saw.
  t.deepEqual(serverAgreed, CLOSE_CASES.map(() => (deflate ? 'permessage-deflate' : '')))
}

function header(headers: Record<string, string>, name: string): string {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name.toLowerCase()) return v
  return ''
}
