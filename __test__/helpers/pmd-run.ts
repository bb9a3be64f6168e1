// One PerMessageDeflate job as a promise, bounded: the callback's error (with its close code) and output.
import type { PerMessageDeflate } from '../../ts/PerMessageDeflate.js'

export type Result = { err: { closeCode: number } | null; out?: Buffer }

export const run = (pmd: PerMessageDeflate, op: 'compress' | 'decompress', data: Buffer, max = 0): Promise<Result> =>
  new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${op} did not finish within 10 s`)), 10000)
    const cb = (err: { closeCode: number } | null, out?: Buffer): void => {
      clearTimeout(timer)
      resolve({ err, out })
    }
    if (op === 'compress') pmd.compress(data, cb)
    else pmd.decompress(data, max, cb)
  })
