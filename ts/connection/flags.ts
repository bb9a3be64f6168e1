/**
 * Boolean properties stored as bits of one numeric `_bits` field (issue 7: a connection kept 12 booleans and a
 * receiver 6, each a field of its own). They stay ordinary read/write properties: accessors on the prototype.
 */
interface HasBits {
  _bits: number
}

/** Defines `name` → `bit` accessors on `proto`, whose instances must initialise `_bits` (to 0: all false). */
export function defineFlags(proto: object, flags: Readonly<Record<string, number>>): void {
  for (const [name, bit] of Object.entries(flags)) {
    Object.defineProperty(proto, name, {
      get(this: HasBits): boolean {
        return (this._bits & bit) !== 0
      },
      set(this: HasBits, value: boolean): void {
        this._bits = value ? this._bits | bit : this._bits & ~bit
      },
      configurable: true,
    })
  }
}
