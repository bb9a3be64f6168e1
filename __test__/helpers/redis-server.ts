// A real redis-server for the cluster tests: started on a free 127.0.0.1 port (or a given address) with persistence
// off (`--save "" --appendonly no`), its own temporary directory, stopped afterwards. Every wait is bounded. The
// binary comes from scripts/install-redis.sh (npm test runs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface RedisServer {
  readonly host: string
  readonly port: number
  readonly url: string
  /** Stops the server (SHUTDOWN-like: SIGTERM, then SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same address (after `stop`), with `extraArgs` added to redis-server's for this run. */
  start(extraArgs?: string[]): Promise<void>
  /** Stops it for good and removes its directory. */
  dispose(): Promise<void>
  /** Runs `redis-cli` against it and returns stdout (bounded to 10 s). */
  cli(...args: string[]): string
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** A free TCP port on `host` (the OS picks it; redis-server takes it a moment later). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RedisServerOptions {
  /** The address clients use (and `redis-cli`), default 127.0.0.1. */
  host?: string
  /** The address redis-server binds, default `host`. */
  bind?: string
  port?: number
  /** Runs redis-server through this command prefix (e.g. `['ip', 'netns', 'exec', 'ns1']`). */
  prefix?: string[]
}

/** Starts redis-server and resolves once it accepts connections. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('redis-server is not installed: run `sh scripts/install-redis.sh` (npm test does)')
  }
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? (options.prefix ? 6379 : await freePort(host))
  const dir = mkdtempSync(path.join(tmpdir(), 'ferrosocket-redis-'))
  const prefix = options.prefix ?? []
  let child: ChildProcess | null = null

  const start = async (extraArgs: string[] = []): Promise<void> => {
    if (child !== null) return
    const args = [
      ...['--bind', options.bind ?? host, '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      ...['--protected-mode', 'no', '--dir', dir, '--loglevel', 'notice', '--logfile', ''],
      ...extraArgs,
    ]
    const cmd = prefix.length > 0 ? prefix[0]! : 'redis-server'
    const argv = prefix.length > 0 ? [...prefix.slice(1), 'redis-server', ...args] : args
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    live.add(proc)
    let log = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start in 10 s:\n${log}`)), 10_000)
      const fail = (error: Error) => {
        clearTimeout(timer)
        proc.stdout!.off('data', onData)
        reject(error)
      }
      const onData = (chunk: Buffer) => {
        log += chunk.toString()
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer)
          proc.stdout!.off('data', onData)
          proc.off('exit', onExit)
          resolve()
        }
      }
      const onExit = (code: number | null) => fail(new Error(`redis-server exited (${code}) before it was ready:\n${log}`))
      proc.stdout!.on('data', onData)
      proc.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
      proc.once('exit', onExit)
    }).catch((error: unknown) => {
      proc.kill('SIGKILL')
      live.delete(proc)
      child = null
      throw error
    })
    proc.stdout!.resume()
  }

  const stop = async (): Promise<void> => {
    const proc = child
    if (proc === null) return
    child = null
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
        proc.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        proc.kill('SIGTERM')
      })
    }
    live.delete(proc)
  }

  await start()
  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    start,
    stop: async () => {
      await stop()
    },
    dispose: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    cli: (...args: string[]) => {
      const cli = ['redis-cli', '-h', host, '-p', String(port), ...args]
      const argv = [...prefix, ...cli]
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 })
      if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`)
      return r.stdout.trim()
    },
  }

}
