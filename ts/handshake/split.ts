/**
 * Linear header-list splitting. WebSocket-Node splits header values with regexes (a comma, then any `\s` run);
 * these helpers give the same pieces with one left-to-right pass and no regular expression, so a hostile
 * value (16 KiB of spaces or commas — ws CVE-2021-32640, tungstenite CVE-2023-43669) costs O(n).
 */

/** True for the characters JavaScript's `\s` matches (so results equal WebSocket-Node's regex splits). */
export function isJsWhitespace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true
  if (c < 0xa0) return false
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  )
}

/**
 * Same pieces as splitting on any one character of `separators` followed by a run of `\s` (WebSocket-Node's
 * comma splitter for protocol, extension and X-Forwarded-For lists; its semicolon splitter for extension
 * parameters). With `spacesOnly`, only U+0020 is skipped after a separator (its `[;,]` + spaces cookie splitter).
 */
export function splitList(str: string, separators: string, spacesOnly = false): string[] {
  const out: string[] = []
  let start = 0
  let i = 0
  const n = str.length
  while (i < n) {
    if (separators.includes(str[i] as string)) {
      out.push(str.slice(start, i))
      i++
      while (i < n && (spacesOnly ? str.charCodeAt(i) === 0x20 : isJsWhitespace(str.charCodeAt(i)))) i++
      start = i
    } else {
      i++
    }
  }
  out.push(str.slice(start))
  return out
}
