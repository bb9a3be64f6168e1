// A Python virtualenv in .venv-py/ with the `websockets` library, the real Python peer of the interop tests.
// Created on first use (npm test calls ensurePython), from PyPI, pinned.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const venv = path.join(root, '.venv-py')
export const python = path.join(venv, 'bin', 'python')
const WEBSOCKETS = 'websockets==17.4'

function findBase() {
  for (const cand of [process.env.FERROSOCKET_PYTHON, 'python3.11', 'python3.12', 'python3']) {
    if (cand && spawnSync(cand, ['-c', 'import sys; assert sys.version_info >= (3, 10)']).status === 0) return cand
  }
  return null
}

export function ensurePython() {
  if (existsSync(python) && spawnSync(python, ['-c', 'import websockets']).status === 0) return python
  const base = findBase()
  if (!base) throw new Error('ferrosocket tests need Python >= 3.10 (for the `websockets` interop peer)')
  // Once per clone; pip's own output is quiet, so say what is happening and where it goes.
  console.log(`[ferrosocket] creating ${path.relative(process.cwd(), venv) || venv} with ${base} and pip install ${WEBSOCKETS} (the Python interop peer; once)`)
  const opts = { stdio: 'inherit' }
  if (spawnSync(base, ['-m', 'venv', venv], opts).status !== 0) throw new Error('python -m venv failed')
  if (spawnSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', WEBSOCKETS], opts).status !== 0)
    throw new Error(`pip install ${WEBSOCKETS} failed`)
  return python
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensurePython())
