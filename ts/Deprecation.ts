/**
 * WebSocket-Node's `deprecation` object: `warn(name)` prints one `DEPRECATION WARNING:` line per deprecated
 * name, once, unless `disableWarnings` is set. Set a map entry to a falsy value to silence just that one.
 */
export interface IDeprecation {
  disableWarnings: boolean
  deprecationWarningMap: Record<string, string | false>
  warn(deprecationName: string): void
}

export const Deprecation: IDeprecation = {
  disableWarnings: false,
  deprecationWarningMap: {
    websocketVersion: 'The "websocketVersion" property is deprecated; use "webSocketVersion" instead.',
  },
  warn(deprecationName: string): void {
    if (this.disableWarnings || !Object.hasOwn(this.deprecationWarningMap, deprecationName)) return
    const message = this.deprecationWarningMap[deprecationName]
    if (!message) return
    console.warn(`DEPRECATION WARNING: ${message}`)
    this.deprecationWarningMap[deprecationName] = false
  },
}

export default Deprecation
