/** Public types of WebSocketConnection (re-exported by it). */

/** A negotiated extension: `[]`, or permessage-deflate with the parameters of the handshake response. */
export interface Extension {
  name: string
  params: Array<{ name: string; value?: string }>
}

/** `'message'` event payload. */
export type IMessage = { type: 'utf8'; utf8Data: string } | { type: 'binary'; binaryData: Buffer }

/** Send callback: called once, after the last fragment was written, or with the first error. */
export type SendCallback = (err?: Error | null) => void
