// Hosts for the multi-host cluster test, made of Linux network namespaces that the test creates and deletes
// itself (iproute2's `ip netns`, veth pairs, addresses in 10.231.0.0/16 and 10.232.0.0/16 that exist only on these
// links). Layout, for host i = 1..n:
//   redis namespace R  10.231.i.1/30 ──veth── 10.231.i.2/30  host namespace Hi   (the host's link to Redis)
//   test's namespace   10.232.i.1/30 ──veth── 10.232.i.2/30  host namespace Hi   (clients reach the server here)
// so cutting Hi's Redis link leaves its clients connected to it.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip'

export function ip(...args: string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] })
}

export interface Hosts {
  /** The Redis host's namespace. */
  redisNs: string
  /** Per host i (0-based): its namespace, the address its server binds for clients, Redis's address from it. */
  hosts: { ns: string; serverAddress: string; redisAddress: string; redisLink: string }[]
  /** `ip netns exec <ns>` as a command prefix. */
  exec(ns: string): string[]
  /** Takes host i's link to Redis down or up (inside the host's namespace). */
  setRedisLink(i: number, up: boolean): void
  /** Deletes every namespace (and with them every veth pair). */
  destroy(): void
}

/** Why the netns test cannot run here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) {
    return 'the multi-host test creates network namespaces and needs root (CI runs as root): run it as root'
  }
  try {
    ip('-V')
  } catch {
    return 'iproute2 (`ip`) is missing: apt-get install iproute2'
  }
  return null
}

export function createHosts(n: number): Hosts {
  const tag = `fs${process.pid % 100000}`
  const redisNs = `ferrosocket-${tag}-redis`
  const names = [redisNs]
  const hosts: Hosts['hosts'] = []
  const exec = (ns: string) => [IP, 'netns', 'exec', ns]
  const destroy = () => {
    for (const ns of names) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // already gone
      }
    }
  }
  try {
    ip('netns', 'add', redisNs)
    ip('-n', redisNs, 'link', 'set', 'lo', 'up')
    for (let i = 1; i <= n; i++) {
      const ns = `ferrosocket-${tag}-host${i}`
      ip('netns', 'add', ns)
      names.push(ns)
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      // Redis link: created inside the redis namespace, one end moved to the host's.
      const [r, h] = [`${tag}r${i}`, `${tag}h${i}`]
      ip('-n', redisNs, 'link', 'add', r, 'type', 'veth', 'peer', 'name', h, 'netns', ns)
      ip('-n', redisNs, 'addr', 'add', `10.231.${i}.1/30`, 'dev', r)
      ip('-n', ns, 'addr', 'add', `10.231.${i}.2/30`, 'dev', h)
      ip('-n', redisNs, 'link', 'set', r, 'up')
      ip('-n', ns, 'link', 'set', h, 'up')
      // Client link: one end in the test's namespace.
      const [c, s] = [`${tag}c${i}`, `${tag}s${i}`]
      ip('link', 'add', c, 'type', 'veth', 'peer', 'name', s, 'netns', ns)
      ip('addr', 'add', `10.232.${i}.1/30`, 'dev', c)
      ip('-n', ns, 'addr', 'add', `10.232.${i}.2/30`, 'dev', s)
      ip('link', 'set', c, 'up')
      ip('-n', ns, 'link', 'set', s, 'up')
      hosts.push({ ns, serverAddress: `10.232.${i}.2`, redisAddress: `10.231.${i}.1`, redisLink: h })
    }
  } catch (e) {
    destroy()
    throw e
  }
  return {
    redisNs,
    hosts,
    exec,
    setRedisLink: (i, up) => ip('-n', hosts[i]!.ns, 'link', 'set', hosts[i]!.redisLink, up ? 'up' : 'down'),
    destroy,
  }
}
