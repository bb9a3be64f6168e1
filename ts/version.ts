/**
 * The package version. A constant rather than a read of package.json so that the browser entry (`browser.ts`),
 * which bundlers ship without Node's module APIs, can export it too; `__test__/browser-entry.spec.ts` keeps it equal
 * to package.json's.
 */
export const version: string = '0.1.0'
export default version
