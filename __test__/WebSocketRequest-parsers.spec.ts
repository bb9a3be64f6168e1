// Handshake header parsers: WebSocket-Node's exact shapes, linear on hostile input, prototype names inert.
import test from 'ava'
import { formatSetCookies, parseCookies } from '../ts/handshake/cookies.js'
import { parseExtensions } from '../ts/handshake/extensions.js'
import { firstNonTokenChar, parseProtocols } from '../ts/handshake/protocols.js'
import {
  buildRejectResponse,
  computeAcceptKey,
  encodeResponse,
  sanitizeHeaderText,
  statusText,
} from '../ts/handshake/response.js'
import { splitList } from '../ts/handshake/split.js'

test('splitList gives the same pieces as the regex splits it replaces', (t) => {
  const samples = ['', 'a', 'a,b', 'a, b', 'a ,b', ',,', ' a,\t\u00a0b,  ,c ', 'x,\u2028y', 'a;b; c']
  for (const s of samples) {
    t.deepEqual(splitList(s, ','), s.split(/,\s*/), JSON.stringify(s))
    t.deepEqual(splitList(s, ';'), s.split(/;\s*/), JSON.stringify(s))
    t.deepEqual(splitList(s, ';,', true), s.split(/[;,] */), JSON.stringify(s))
  }
})

test('protocols: lower-cased, client order, untrimmed items, original case kept in the map', (t) => {
  const offer = parseProtocols('Chat , SuperChat,,x')
  t.deepEqual(offer.requested, ['chat ', 'superchat', '', 'x'])
  t.is(offer.fullCase['superchat'], 'SuperChat')
  t.deepEqual(parseProtocols(undefined).requested, [])
})

test('protocols: __proto__ and constructor are plain names', (t) => {
  const offer = parseProtocols('__proto__, constructor, hasOwnProperty')
  t.deepEqual(offer.requested, ['__proto__', 'constructor', 'hasownproperty'])
  t.is(offer.fullCase['__proto__'], '__proto__')
  t.is(offer.fullCase['constructor'], 'constructor')
  t.is(Object.getPrototypeOf(offer.fullCase), null)
  t.is(parseProtocols('chat').fullCase['constructor'], undefined)
})

test('firstNonTokenChar refuses CTLs, space, separators and non-ASCII', (t) => {
  t.is(firstNonTokenChar('chat.v2+json'), undefined)
  for (const bad of ['a b', 'a\r\nb', 'a,b', 'a;b', 'a"b', 'a/b', 'é', 'a\u0000']) t.not(firstNonTokenChar(bad), undefined)
  t.is(firstNonTokenChar('p\r\nX: y'), '\r')
})

test('extensions: WebSocket-Node shape (lower-cased, value undefined without =, quotes kept)', (t) => {
  t.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits'), [
    { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: undefined }] },
  ])
  t.deepEqual(parseExtensions('Foo; A="x"; b=1=2, bar'), [
    {
      name: 'foo',
      params: [
        { name: 'a', value: '"x"' },
        { name: 'b', value: '1' },
      ],
    },
    { name: 'bar', params: [] },
  ])
  t.deepEqual(parseExtensions(''), [])
  t.deepEqual(parseExtensions(undefined), [])
})

test('extensions: prototype names are data (ws GHSA-5v72-xg48-5rpm)', (t) => {
  const ext = parseExtensions('constructor; __proto__=1, hasOwnProperty')
  t.deepEqual(ext, [
    { name: 'constructor', params: [{ name: '__proto__', value: '1' }] },
    { name: 'hasownproperty', params: [] },
  ])
  t.is(({} as Record<string, unknown>)['1'], undefined)
})

test('cookies: split, trim, quotes, decode, pairs without =', (t) => {
  t.deepEqual(parseCookies('a=1; b="two%20words" ,c , d = x%3By'), [
    { name: 'a', value: '1' },
    { name: 'b', value: 'two words' },
    { name: 'c ', value: null },
    { name: 'd', value: 'x;y' },
  ])
  t.deepEqual(parseCookies(''), [])
  t.deepEqual(parseCookies('__proto__=1; constructor=2'), [
    { name: '__proto__', value: '1' },
    { name: 'constructor', value: '2' },
  ])
})

test('cookies: a malformed % escape throws URIError "URI malformed"', (t) => {
  const e = t.throws(() => parseCookies('a=%E0%A4%A'), { instanceOf: URIError })
  t.is(e?.message, 'URI malformed')
})

test('hostile headers: 16 KiB of spaces and commas parse to the right result', (t) => {
  const spaces = ' '.repeat(16384)
  const commas = ','.repeat(16384)
  t.is(splitList(`a,${spaces}b`, ',').length, 2)
  t.is(parseProtocols(commas).requested.length, 16385)
  t.is(parseProtocols(`a${spaces},b`).requested[0], `a${spaces}`)
  t.is(parseExtensions(`x;${spaces};${spaces}`)[0]?.params.length, 2)
  t.is(parseExtensions(commas).length, 16385)
  t.is(parseCookies(`a=1;${spaces}b=2`).length, 2)
  t.is(parseCookies(';'.repeat(16384)).length, 16385)
  t.is(splitList(`1.2.3.4,${spaces}5.6.7.8`, ',')[1], '5.6.7.8')
  t.is(splitList(`, `.repeat(8192), ',').length, 8193)
})

test('Set-Cookie formatting is byte-exact: no spaces, attribute order, lower-cased domain', (t) => {
  const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5))
  const line = formatSetCookies([
    { name: 'sid', value: 'abc', path: '/x', domain: 'Example.COM', expires, maxage: '10.7', secure: true, httponly: true },
    { name: 'q', value: '"quoted"' },
    { name: 'm', value: 'v', maxage: 2.5 },
  ])
  t.is(
    line,
    'Set-Cookie: sid=abc;Path=/x;Domain=example.com;Expires=Wed, 02 Jan 2030 03:04:05 GMT;Max-Age=10;Secure;HttpOnly\r\n' +
      'Set-Cookie: q="quoted"\r\n' +
      'Set-Cookie: m=v;Max-Age=3\r\n',
  )
})

test('Set-Cookie validation: every WebSocket-Node error text', (t) => {
  const cases: Array<[unknown, string]> = [
    [{}, 'Value supplied for "cookies" argument must be an array.'],
    [[{ name: 'a' }], 'Each cookie to set must at least provide a "name" and "value"'],
    [[{ name: 'a', value: '' }], 'Each cookie to set must at least provide a "name" and "value"'],
    [[null], 'Each cookie to set must at least provide a "name" and "value"'],
    [
      [
        { name: 'a', value: '1' },
        { name: 'a', value: '2' },
      ],
      'You may not specify the same cookie name twice.',
    ],
    [[{ name: 'a(b', value: '1' }], 'Illegal character ( in cookie name'],
    [[{ name: 'a', value: 'x,y' }], 'Illegal character , in cookie value'],
    [[{ name: 'a', value: '"x"y"' }], 'Illegal character " in cookie value'],
    [[{ name: 'a', value: 'é' }], 'Illegal character é in cookie value'],
    [[{ name: 'a', value: '1', path: '/a b' }], 'Illegal character   in cookie path'],
    [[{ name: 'a', value: '1', domain: 5 }], 'Domain must be specified and must be a string.'],
    [[{ name: 'a', value: '1', domain: 'x;y' }], 'Illegal character ; in cookie domain'],
    [[{ name: 'a', value: '1', expires: 'tomorrow' }], 'Value supplied for cookie "expires" must be a valid date object'],
    [[{ name: 'a', value: '1', maxage: '-3' }], 'Value supplied for cookie "maxage" must be a non-zero number'],
    [[{ name: 'a', value: '1', maxage: 'soon' }], 'Value supplied for cookie "maxage" must be a non-zero number'],
    [[{ name: 'a', value: '1', secure: 'yes' }], 'Value supplied for cookie "secure" must be of type boolean'],
    [[{ name: 'a', value: '1', httponly: 1 }], 'Value supplied for cookie "httponly" must be of type boolean'],
  ]
  for (const [cookies, message] of cases) t.throws(() => formatSetCookies(cookies), { message }, message)
})

test('Set-Cookie: a name carrying CRLF is stripped then refused; a value carrying CRLF is stripped', (t) => {
  t.throws(() => formatSetCookies([{ name: 'a\r\nX-Evil: 1', value: 'b' }]), {
    message: 'Illegal character : in cookie name',
  })
  t.is(formatSetCookies([{ name: 'a', value: 'b\r\n;c\u0000' }]), 'Set-Cookie: a=bc\r\n')
})

test('Set-Cookie: __proto__ and constructor are not taken for duplicates', (t) => {
  t.is(
    formatSetCookies([
      { name: '__proto__', value: '1' },
      { name: 'constructor', value: '2' },
    ]),
    'Set-Cookie: __proto__=1\r\nSet-Cookie: constructor=2\r\n',
  )
})

test('accept key: RFC 6455 §1.3 sample', (t) => {
  t.is(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
})

test('reject response: exact bytes, sanitised reason and extra headers', (t) => {
  t.is(buildRejectResponse(403), 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
  t.is(
    buildRejectResponse(401, 'nope\r\nX-Evil: 1', { 'WWW-Authenticate': 'Basic' }),
    'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nX-WebSocket-Reject-Reason: nopeX-Evil: 1\r\nWWW-Authenticate: Basic\r\n\r\n',
  )
  t.is(
    buildRejectResponse(302, undefined, { 'Loc\r\nation': 'http://x/\r\nSet-Cookie: a=b', 'Set-Cookie: a': 'b' }),
    'HTTP/1.1 302 Found\r\nConnection: close\r\nLocation: http://x/Set-Cookie: a=b\r\nSet-Cookie a: b\r\n\r\n',
  )
  t.is(statusText(413), 'Request Entity Too Long')
  t.is(statusText(429), 'Too Many Requests')
  t.is(statusText(599), 'Unknown')
})

test('sanitizeHeaderText removes CR, LF and NUL only', (t) => {
  t.is(sanitizeHeaderText('a\r\nb\u0000c\td é'), 'abc\td é')
  t.is(sanitizeHeaderText('plain'), 'plain')
})

test('encodeResponse: latin1 bytes, characters above U+00FF become ? (no U+010D U+010A → CR LF)', (t) => {
  t.deepEqual(encodeResponse('é'), Buffer.from([0xe9]))
  const wire = encodeResponse(`X-WebSocket-Reject-Reason: a${sanitizeHeaderText('\u010d\u010aX-Evil: 1')}\r\n`)
  t.is(wire.toString('latin1'), 'X-WebSocket-Reject-Reason: a??X-Evil: 1\r\n')
  t.false(wire.subarray(0, wire.length - 2).includes(0x0a))
})
