// Real server processes and real WebSocket clients for the cluster tests: each node is a child process running
// __test__/fixtures/cluster-node.ts (a ferrosocket server with ferrosocket/redis), optionally inside a network
// namespace (`ip netns exec`); clients are `ws` clients in the test process. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'
import WebSocket from 'ws'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixture = path.join(root, '__test__', 'fixtures', 'cluster-node.ts')

export interface NodeStats {
  stats: { published: number; lost: number; pending: number; received: number; dropped: number }
  connected: boolean
  errors: { code: string; lost: number; message: string }[]
}

export interface ClusterNode {
  readonly host: string
  readonly port: number
  readonly child: ChildProcess
  stats(): Promise<NodeStats>
  /** shutDown + quit, then the process must exit by itself within 10 s. */
  close(): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

function bounded<T>(what: string, ms: number, run: (resolve: (v: T) => void, reject: (e: Error) => void) => void) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    run(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

export interface NodeOptions {
  redisUrl: string
  prefix: string
  bind?: string
  sharded?: boolean
  /** Command prefix to run node through, e.g. ['ip', 'netns', 'exec', 'fs-h1']. */
  via?: string[]
}

export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: options.redisUrl,
    CLUSTER_PREFIX: options.prefix,
    CLUSTER_BIND: options.bind ?? '127.0.0.1',
    CLUSTER_SHARDED: options.sharded ? '1' : '0',
  }
  delete env.NODE_OPTIONS
  const argv = [process.execPath, '--import', '@oxc-node/core/register', fixture]
  const via = options.via ?? []
  const all = [...via, ...argv]
  const child = spawn(all[0]!, all.slice(1), { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
  live.add(child)
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  child.once('exit', () => live.delete(child))
  const port = await bounded<number>('cluster node start', 30_000, (resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port))
    child.once('exit', (code) => reject(new Error(`cluster node exited (${code}): ${stderr}`)))
  }).catch((e: Error) => {
    child.kill('SIGKILL')
    throw e
  })
  const ask = <T>(op: string, key: string) =>
    bounded<T>(`cluster node ${op}`, 15_000, (resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', on)
          resolve(m as T)
        }
      }
      child.on('message', on)
      child.send({ op })
    })
  return {
    host: options.bind ?? '127.0.0.1',
    port,
    child,
    stats: () => ask<NodeStats>('stats', 'stats'),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = bounded<void>('cluster node exit after close', 15_000, (resolve) => child.once('exit', () => resolve()))
      try {
        await ask('close', 'closed')
        await exited
      } catch (e) {
        // Never leave a process behind, whatever failed.
        child.kill('SIGKILL')
        await exited.catch(() => {})
        throw new Error(`${(e as Error).message} (the node did not shut down and exit by itself)\n${stderr}`)
      }
    },
  }
}

/** A `ws` client that records what it receives; `sub`/`unsub` resolve on the server's ack. */
export class Client {
  readonly received: { data: Buffer; binary: boolean }[] = []
  readonly ws: WebSocket
  private readonly acks: ((text: string) => void)[] = []
  /** Topics the server has acknowledged subscribing (updated when the ack arrives, before any later message). */
  readonly topics = new Set<string>()
  /** Called on every non-ack message (for tests that check state at receipt time). */
  onData: ((data: Buffer, binary: boolean) => void) | null = null

  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary && data[0] === 0) {
        const [, cmd, topic] = data.toString().slice(1).split(' ') as [string, string, string]
        if (cmd === 'sub') this.topics.add(topic)
        else if (cmd === 'unsub') this.topics.delete(topic)
        this.acks.shift()?.(data.toString())
        return
      }
      this.received.push({ data, binary })
      this.onData?.(data, binary)
    })
  }

  static async connect(host: string, port: number): Promise<Client> {
    const ws = new WebSocket(`ws://${host}:${port}/`, { maxPayload: 64 << 20 })
    await bounded<void>('client connect', 30_000, (resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.on('error', () => {})
    return new Client(ws)
  }

  private command(text: string): Promise<void> {
    return bounded<void>(`ack of ${text}`, 10_000, (resolve) => {
      this.acks.push(() => resolve())
      this.ws.send(`\0${text}`)
    })
  }

  sub(topic = 'room'): Promise<void> {
    return this.command(`sub ${topic}`)
  }

  unsub(topic = 'room'): Promise<void> {
    return this.command(`unsub ${topic}`)
  }

  send(data: Buffer, binary: boolean): void {
    this.ws.send(binary ? data : data.toString('utf8'), { binary })
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return bounded<void>('client close', 10_000, (resolve) => {
      this.ws.once('close', () => resolve())
      this.ws.close()
    }).catch(() => this.ws.terminate())
  }
}

/**
 * The payload of message `seq` of client `client` on node `node`: deterministic, so a receiver checks it byte for
 * byte. Even seq → text (ASCII header + multi-byte characters), odd → binary (header + bytes 0..255 patterns).
 */
export function payload(node: number, client: number, seq: number, fill = 40): { data: Buffer; binary: boolean } {
  const binary = seq % 2 === 1
  const head = `${node}:${client}:${seq}:`
  if (!binary) return { data: Buffer.from(head + 'é€😀'.repeat(1 + ((seq * 7 + client) % fill))), binary }
  const body = Buffer.alloc(((seq * 13 + node) % (fill * 8)) + 1)
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + seq + client) & 0xff
  return { data: Buffer.concat([Buffer.from(head), body]), binary }
}

/** The (node, client, seq) of a received payload, after checking it is exactly what `payload` made. */
export function parse(data: Buffer, binary: boolean): { node: number; client: number; seq: number } {
  const text = data.subarray(0, 32).toString('latin1')
  const m = /^(\d+):(\d+):(\d+):/.exec(text)
  if (m === null) throw new Error(`not a test payload: ${data.subarray(0, 32).toString('hex')}`)
  const [node, client, seq] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const want = payload(node, client, seq)
  if (want.binary !== binary || !want.data.equals(data)) throw new Error(`payload ${node}:${client}:${seq} corrupted`)
  return { node, client, seq }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Every client of `clients[node][i]` sends `messages` payloads; checks that every client then holds all of them,
 * in order per publisher, byte-exact (parse), from every publisher.
 */
export async function fanOutAndCheck(t: ExecutionContext, clients: Client[][], messages: number): Promise<void> {
  for (let seq = 0; seq < messages; seq++) {
    clients.forEach((row, node) => row.forEach((c, i) => c.send(payload(node, i, seq).data, payload(node, i, seq).binary)))
  }
  const publishers = clients.flat().length
  const total = publishers * messages
  // Bounded by progress, not by a total time: on a loaded machine the 60 clients in this process may take minutes
  // to read everything; a message that is lost stops the progress, and that fails within 30 s, saying where.
  let delivered = -1
  let since = Date.now()
  await until(
    `all ${total} messages at every client`,
    () => {
      const now = clients.flat().reduce((n, c) => n + c.received.length, 0)
      if (now !== delivered) {
        delivered = now
        since = Date.now()
      } else if (Date.now() - since > 30_000) {
        const counts = clients.map((row) => row.map((c) => c.received.length).join(','))
        throw new Error(`no delivery for 30 s: ${now} of ${total * publishers}; received per client by node: ${counts.join(' | ')}`)
      }
      return clients.flat().every((c) => c.received.length >= total)
    },
    600_000,
  )
  for (const c of clients.flat()) {
    t.is(c.received.length, total)
    const next = new Map<string, number>()
    for (const m of c.received) {
      const { node, client, seq } = parse(m.data, m.binary)
      const key = `${node}:${client}`
      if ((next.get(key) ?? 0) !== seq) t.fail(`publisher ${key}: got seq ${seq}, expected ${next.get(key) ?? 0}`)
      next.set(key, seq + 1)
    }
    t.is(next.size, publishers)
  }
}
