/** Facts recorded with every result file: numbers are only comparable within one machine and one run. */
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import os from 'node:os'

const require = createRequire(import.meta.url)

export interface MachineInfo {
  date: string
  cpu: string
  cores: number
  cpuFlags: { avx2: boolean; avx512f: boolean; avx512vbmi2: boolean }
  node: string
  v8: string
  simdutf: string
  os: string
  loadavgStart: number[]
  loadavgEnd?: number[]
  commit: string
  packages: Record<string, string>
}

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'))
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? [])
  } catch {
    return new Set()
  }
}

function version(spec: string): string {
  try {
    return (require(`${spec}/package.json`) as { version: string }).version
  } catch {
    return 'missing'
  }
}

export function machineInfo(): MachineInfo {
  const flags = cpuFlags()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    // not a git checkout
  }
  let nestedValidate = 'missing'
  try {
    const fromWebsocket = createRequire(require.resolve('websocket/lib/WebSocketConnection.js'))
    nestedValidate = (fromWebsocket('utf-8-validate/package.json') as { version: string }).version
  } catch {
    // websocket not installed
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    cpuFlags: { avx2: flags.has('avx2'), avx512f: flags.has('avx512f'), avx512vbmi2: flags.has('avx512_vbmi2') },
    node: process.version,
    v8: process.versions.v8,
    simdutf: (process.versions as Record<string, string | undefined>)['simdutf'] ?? 'unknown',
    os: `${os.type()} ${os.release()}`,
    loadavgStart: os.loadavg(),
    commit,
    packages: {
      ws: version('ws'),
      bufferutil: version('bufferutil'),
      'utf-8-validate': version('utf-8-validate'),
      'utf-8-validate (websocket)': nestedValidate,
      websocket: version('websocket'),
      benchmark: version('benchmark'),
    },
  }
}
