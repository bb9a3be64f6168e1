/**
 * The small EventTarget behind W3CWebSocket. WebSocket-Node used yaeti, whose rules we keep: the `on<type>`
 * property handler runs before `addEventListener` listeners, a listener added twice runs once, and
 * `stopImmediatePropagation()` stops the rest. A throwing listener no longer aborts dispatch (as in browsers):
 * the error is rethrown on a later tick, so the other listeners and the connection's parser are unaffected.
 */

/** A W3C-style event. */
export class WebSocketEvent {
  readonly type: string
  readonly timeStamp = Date.now()
  target: unknown = null
  currentTarget: unknown = null
  /** @internal */
  _stopped = false

  constructor(type: string) {
    this.type = type
  }

  /** Skip the listeners that have not run yet. */
  stopImmediatePropagation(): void {
    this._stopped = true
  }

  /** Present for API shape; WebSocket events do not propagate. */
  stopPropagation(): void {}

  /** WebSocket events are not cancelable. */
  preventDefault(): void {}
}

/** `message` event: `data` is a string (text) or an ArrayBuffer (binary). */
export class WebSocketMessageEvent extends WebSocketEvent {
  readonly data: string | ArrayBuffer
  constructor(data: string | ArrayBuffer) {
    super('message')
    this.data = data
  }
}

/** `close` event. */
export class WebSocketCloseEvent extends WebSocketEvent {
  readonly code: number
  readonly reason: string
  readonly wasClean: boolean
  constructor(code: number, reason: string, wasClean: boolean) {
    super('close')
    this.code = code
    this.reason = reason
    this.wasClean = wasClean
  }
}

/** `error` event. The WHATWG event carries no detail; `error`/`message` are ferrosocket additions for diagnosis. */
export class WebSocketErrorEvent extends WebSocketEvent {
  readonly error: Error | undefined
  readonly message: string
  constructor(error?: Error) {
    super('error')
    this.error = error
    this.message = error?.message ?? ''
  }
}

/** A listener: a function, or an object with `handleEvent` (DOM style). */
export type EventListenerLike<E extends WebSocketEvent = WebSocketEvent> =
  | ((event: E) => void)
  | { handleEvent(event: E): void }

/** EventTarget with on<type> handlers first (see the module comment). */
export class SimpleEventTarget {
  private readonly _listeners = new Map<string, EventListenerLike[]>()

  /** Add a listener; adding the same one twice has no effect. */
  addEventListener(type: string, listener: EventListenerLike | null | undefined): void {
    if (!listener) return
    let list = this._listeners.get(type)
    if (!list) this._listeners.set(type, (list = []))
    if (!list.includes(listener)) list.push(listener)
  }

  /** Remove a listener added with `addEventListener`. */
  removeEventListener(type: string, listener: EventListenerLike | null | undefined): void {
    const list = this._listeners.get(type)
    if (!list || !listener) return
    const i = list.indexOf(listener)
    if (i !== -1) list.splice(i, 1)
  }

  /** Run the `on<type>` handler, then the listeners in order. Returns true (events are not cancelable). */
  dispatchEvent(event: WebSocketEvent): boolean {
    event.target = this
    event.currentTarget = this
    const handler = (this as unknown as Record<string, unknown>)['on' + event.type]
    const run: EventListenerLike[] = []
    if (typeof handler === 'function') run.push(handler as (e: WebSocketEvent) => void)
    // Snapshot: listeners added during dispatch run next time, removed ones still run (DOM semantics).
    run.push(...(this._listeners.get(event.type) ?? []))
    for (const l of run) {
      if (event._stopped) break
      try {
        if (typeof l === 'function') l.call(this, event)
        else l.handleEvent(event)
      } catch (err) {
        process.nextTick(() => {
          throw err
        })
      }
    }
    return true
  }
}
