/**
 * The seam between a server's topics (`connection.subscribe`, `server.publish`) and whatever carries them beyond
 * this process. The server owns local delivery; an adapter (e.g. `ferrosocket/redis`) only moves payloads between
 * processes. The main entry defines the contract and imports no adapter, so it stays dependency-free.
 *
 * Contract (both sides rely on it):
 * - The server calls `attach(host)` once, from its constructor, before any other method.
 * - `subscribe(topic)` when a topic gets its first local subscriber, `unsubscribe(topic)` when its last local
 *   subscriber leaves (unsubscribe, or the connection closed). Never twice in a row for the same topic.
 * - `publish(topic, data, binary)` after `server.publish`/`connection.publish` delivered locally; `data` is the
 *   payload (text: its UTF-8 bytes) and must not be kept past the call unless copied (the caller may reuse it).
 *   It never throws for a transport fault: it reports through `host.reportError` and counts the loss.
 * - `host.deliverRemote(topic, data, binary)` delivers a payload that came from another process to this process's
 *   subscribers only (it is never handed back to `publish`). Text that is not valid UTF-8 is refused: it returns
 *   -1 and nothing is sent; otherwise it returns the number of local recipients.
 * - `close()` is called by `server.shutDown()`; it releases every connection and timer the adapter made (never a
 *   client the application passed in) and resolves when they are gone.
 */

/** What the server offers an adapter. */
export interface PubSubAdapterHost {
  /** Delivers a payload published by another process to this process's subscribers of `topic`. */
  deliverRemote(topic: string, data: Buffer, binary: boolean): number
  /** Topics with at least one local subscriber now (an adapter resubscribes these after reconnecting). */
  localTopics(): Iterable<string>
  /** A fault of the adapter; the server emits it as `'adapterError'` (never as `'error'`, which would throw). */
  reportError(error: Error): void
}

/** What a server with `adapter` in its config calls. */
export interface PubSubAdapter {
  attach(host: PubSubAdapterHost): void
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Buffer, binary: boolean): void
  close(): Promise<void>
}
