// The install tests (issue 8) run once per `npm test`, not once per backend: they pick the backend by what is installed.
export default {
  files: ['__test__/package/**/*.spec.ts'],
  extensions: { ts: 'module' },
  workerThreads: false,
  timeout: '5m',
  nodeArguments: ['--import', '@oxc-node/core/register'],
}
