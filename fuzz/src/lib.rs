//! Fuzz checks for ferrosocket-core, shared by the libFuzzer targets (`fuzz_targets/`) and by the stable
//! `cargo test` harness (`tests/replay.rs`) that replays the committed corpus plus seeded random inputs.
//!
//! Each check panics on a property violation; libFuzzer reports the panic as a crash with the input.

use ferrosocket_core::{
    header::{encode_header, header_len, parse_header, MASK, MAX_HEADER_LEN},
    is_valid_utf8, mask as core_mask,
    parse::{
        parse_frames as core_parse_frames, ParseLimits, FRAME_STRIDE, STATE_SLOTS, S_CONSUMED,
        S_ERROR, S_FRAGMENTS, S_MESSAGE_BYTES, S_MESSAGE_OPCODE, S_PENDING, S_UTF8,
    },
    text::{decode as core_decode_text, Decoded},
    unmask as core_unmask, utf8_stream as core_utf8_stream,
};

/// Chunk lengths (1..=max, sometimes 0) from a seed: a small xorshift, so one input byte chooses a whole chop.
fn chop(len: usize, seed: u32, max: usize) -> Vec<usize> {
    let mut x = seed | 1;
    let mut cuts = Vec::new();
    let mut left = len;
    while left > 0 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = if x % 11 == 0 { 0 } else { 1 + (x as usize >> 4) % max };
        let n = n.min(left);
        cuts.push(n);
        left -= n;
    }
    cuts
}

/// `parse_header` (§5.2): never panics; a header it accepts re-encodes to the same bytes when minimal; every
/// shorter prefix is "need more"; an error does not change when more bytes follow.
pub fn header_parse(data: &[u8]) {
    let Some((&flags, buf)) = data.split_first() else { return };
    let (expect_masked, allow_rsv1) = (flags & 1 != 0, flags & 2 != 0);
    match parse_header(buf, expect_masked, allow_rsv1) {
        Ok(Some(h)) => {
            assert!((2..=MAX_HEADER_LEN).contains(&h.header_len) && h.header_len <= buf.len());
            assert_eq!(h.header_len, header_len(buf[1]));
            assert_eq!((h.bits, h.masked), (buf[0], buf[1] & MASK != 0));
            assert_eq!(h.masked, expect_masked);
            assert!(h.payload_len < 1 << 53);
            if h.is_control() {
                assert!(h.fin() && h.payload_len <= 125);
            }
            let mut out = [0u8; MAX_HEADER_LEN];
            let n = encode_header(&mut out, h.bits, h.payload_len, h.masked.then_some(h.mask_key))
                .unwrap();
            if n == h.header_len {
                assert_eq!(&out[..n], &buf[..n]);
            }
            for k in 0..h.header_len {
                assert_eq!(parse_header(&buf[..k], expect_masked, allow_rsv1), Ok(None));
            }
        }
        Ok(None) => assert!(buf.len() < MAX_HEADER_LEN),
        Err(e) => {
            let mut longer = buf.to_vec();
            longer.extend_from_slice(&[0xff; MAX_HEADER_LEN]);
            assert_eq!(parse_header(&longer, expect_masked, allow_rsv1), Err(e));
        }
    }
}

/// What a parse run produced: complete frames (bits, payload after unmasking), the error, the message state.
#[derive(Debug, PartialEq)]
struct Run {
    frames: Vec<(u16, Vec<u8>)>,
    error: u8,
    consumed: usize,
    message: [u64; 4],
}

/// Feeds `input` in chunks of `cuts` the way a socket reader does: frames are taken from a growing buffer, the
/// message state is carried between calls, and a pending (incomplete) frame is left for the next chunk by
/// re-parsing up to the last complete frame from the state before the call. `room` frames fit in `out`.
fn run(input: &[u8], cuts: &[usize], limits: &ParseLimits, room: usize) -> Run {
    let mut buf: Vec<u8> = Vec::with_capacity(input.len());
    let mut state = [0f64; STATE_SLOTS];
    let mut out = vec![0f64; room * FRAME_STRIDE];
    let mut frames = Vec::new();
    let mut pos = 0usize;
    let mut at = 0usize;
    let mut error = 0u8;
    'chunks: for &n in cuts {
        buf.extend_from_slice(&input[at..at + n]);
        at += n;
        loop {
            let before = state;
            let mut work = buf.clone();
            let count = core_parse_frames(&mut work, pos, buf.len(), limits, &mut state, &mut out);
            assert!(count <= room);
            let mut end = pos;
            for i in 0..count {
                let d = &out[i * FRAME_STRIDE..(i + 1) * FRAME_STRIDE];
                let (off, len) = (d[1] as usize, d[2] as usize);
                assert!(off >= end && off + len <= buf.len() && d[2] <= limits.max_frame_size);
                frames.push((d[0] as u16, work[off..off + len].to_vec()));
                end = off + len;
            }
            if state[S_ERROR] != 0.0 {
                error = state[S_ERROR] as u8;
                pos = state[S_CONSUMED] as usize;
                break 'chunks;
            }
            if state[S_PENDING] != 0.0 {
                // Leave the pending frame for later: the state as after the complete frames only.
                state = before;
                let again =
                    core_parse_frames(&mut buf.clone(), pos, end, limits, &mut state, &mut out);
                assert_eq!(again, count);
                assert_eq!(
                    (state[S_ERROR], state[S_PENDING], state[S_CONSUMED]),
                    (0.0, 0.0, end as f64)
                );
                pos = end;
                break;
            }
            let consumed = state[S_CONSUMED] as usize;
            assert!(consumed >= pos && consumed <= buf.len());
            pos = consumed;
            if count < room || pos == buf.len() {
                break;
            }
        }
    }
    let message = [S_MESSAGE_OPCODE, S_MESSAGE_BYTES, S_UTF8, S_FRAGMENTS].map(|s| state[s] as u64);
    Run { frames, error, consumed: pos, message }
}

/// `parse_frames` on arbitrary bytes: the first 4 bytes pick flags, limits, `out` room and the chop. Parsing
/// the whole input at once and parsing it chopped into random TCP-sized chunks (state carried, `out` small) give
/// the same frames, error and message state.
pub fn parse_frames(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let (ctl, input) = data.split_at(4);
    let limits = ParseLimits {
        flags: u32::from(ctl[0] & 3),
        max_frame_size: [125.0, 1000.0, 65536.0, 9007199254740991.0][usize::from(ctl[0] >> 2 & 3)],
        max_message_size: [200.0, 2000.0, 1048576.0, 9007199254740991.0]
            [usize::from(ctl[0] >> 4 & 3)],
        max_fragments: [0.0, 1.0, 3.0, 16.0][usize::from(ctl[0] >> 6)],
    };
    let room = 1 + usize::from(ctl[1] % 8);
    let seed = u32::from_le_bytes([ctl[2], ctl[3], ctl[1], 0x5a]);
    let whole = run(input, &[input.len()], &limits, input.len() / 2 + 1);
    let chopped = run(input, &chop(input.len(), seed, 1 + usize::from(ctl[2] % 32)), &limits, room);
    assert_eq!(whole, chopped);
    let mut bytes = 0usize;
    for (bits, payload) in &whole.frames {
        let opcode = bits & 0x0f;
        if opcode & 8 == 0 {
            bytes += payload.len();
            assert!(bytes as f64 <= limits.max_message_size);
            if bits & 0x80 != 0 {
                bytes = 0;
            }
        }
        if opcode == 1 && bits & 0xc0 == 0x80 && whole.frames.len() == 1 {
            assert!(is_valid_utf8(payload));
        }
    }
}

/// `utf8_stream` (§8.1) over a random chop against `std::str::from_utf8`: it fails exactly at the first chunk
/// whose bytes so far contain a definite error (fail-fast), or at the end on a truncated code point, and the
/// final verdict equals std's; `is_valid_utf8` agrees too.
pub fn utf8_stream(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else { return };
    assert_eq!(is_valid_utf8(input), std::str::from_utf8(input).is_ok());
    let cuts = chop(input.len(), u32::from(seed) * 2654435761, 1 + usize::from(seed % 16));
    let definite =
        |n: usize| matches!(std::str::from_utf8(&input[..n]), Err(e) if e.error_len().is_some());
    let mut state = 0u32;
    let mut seen = 0usize;
    let last = cuts.len().saturating_sub(1);
    for (i, &n) in cuts.iter().enumerate() {
        let chunk = &input[seen..seen + n];
        seen += n;
        match core_utf8_stream(state, chunk, i == last) {
            Ok(s) => {
                assert!(!definite(seen), "missed an invalid sequence by byte {seen}");
                state = s;
            }
            Err(()) => {
                assert!(definite(seen) || (i == last && std::str::from_utf8(input).is_err()));
                return;
            }
        }
    }
    if cuts.is_empty() {
        assert_eq!(core_utf8_stream(0, &[], true), Ok(0));
    } else {
        assert!(std::str::from_utf8(input).is_ok());
        assert_eq!(state, 0);
    }
}

/// `unmask` / `mask` (§5.3) against the naive loop, at every alignment (the SIMD kernels take 64 B and up).
pub fn unmask(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let key = [data[0], data[1], data[2], data[3]];
    let input = &data[5..];
    let off = usize::from(data[4] % 32).min(input.len());
    let naive: Vec<u8> = input[off..].iter().enumerate().map(|(i, b)| b ^ key[i & 3]).collect();
    let mut buf = input.to_vec();
    core_unmask(&mut buf[off..], key);
    assert_eq!(&buf[..off], &input[..off]);
    assert_eq!(&buf[off..], &naive[..]);
    let mut dst = vec![0xa5u8; input.len() + 7];
    core_mask(&input[off..], key, &mut dst[3..]);
    assert_eq!(&dst[3..3 + naive.len()], &naive[..]);
    assert!(dst[..3].iter().chain(&dst[3 + naive.len()..]).all(|&b| b == 0xa5));
}

/// `text::decode` (utf8Data's native decode) against std: `None` exactly for invalid UTF-8, else the UTF-16 code
/// units of the string in the smallest form — `Ascii` iff ASCII, `Latin1` iff every character is U+0080..U+00FF or
/// ASCII — whatever stale bytes the reused scratch vectors held (the first input byte sizes and fills them).
pub fn decode_text(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else { return };
    let stale = usize::from(seed) * 7;
    let (mut latin1, mut utf16) = (vec![seed; stale], vec![u16::from(seed) * 257; stale]);
    let got = core_decode_text(input, &mut latin1, &mut utf16);
    let Ok(s) = std::str::from_utf8(input) else {
        assert_eq!(got, None);
        return;
    };
    let want: Vec<u16> = s.encode_utf16().collect();
    let units: Vec<u16> = match got.expect("valid UTF-8 decodes") {
        Decoded::Ascii => {
            assert!(s.is_ascii());
            input.iter().map(|&b| u16::from(b)).collect()
        }
        Decoded::Latin1(n) => {
            assert!(!s.is_ascii() && s.chars().all(|c| u32::from(c) <= 0xff));
            latin1[..n].iter().map(|&b| u16::from(b)).collect()
        }
        Decoded::Utf16(n) => {
            assert!(s.chars().any(|c| u32::from(c) > 0xff));
            utf16[..n].to_vec()
        }
    };
    assert_eq!(units, want);
}

/// Issue 16's one-pass text path at every split point of the input (the first byte picks the message form):
/// - `utf8_stream` over the two halves (state carried, final on the second) gives std's verdict at every split;
/// - a whole text frame parsed with `PARSE_DEFER_TEXT` comes back unvalidated (`D_TEXT_UNCHECKED`, no error),
///   and `text::decode` — the validation of that path — gives std's verdict and std's code units;
/// - the same frame parsed without the flag gives std's verdict (`InvalidUtf8` exactly when std refuses it).
pub fn text_split(data: &[u8]) {
    use ferrosocket_core::parse::{D_TEXT_UNCHECKED, PARSE_DEFER_TEXT};
    let Some((_, input)) = data.split_first() else { return };
    let input = &input[..input.len().min(600)];
    let valid = std::str::from_utf8(input).is_ok();
    for i in 0..=input.len() {
        let r = core_utf8_stream(0, &input[..i], false)
            .and_then(|s| core_utf8_stream(s, &input[i..], true));
        assert_eq!(r.is_ok(), valid, "split at {i}");
    }
    let (mut latin1, mut utf16) = (Vec::new(), Vec::new());
    let decoded = core_decode_text(input, &mut latin1, &mut utf16).map(|d| match d {
        Decoded::Ascii => input.iter().map(|&b| u16::from(b)).collect::<Vec<_>>(),
        Decoded::Latin1(n) => latin1[..n].iter().map(|&b| u16::from(b)).collect(),
        Decoded::Utf16(n) => utf16[..n].to_vec(),
    });
    let want = std::str::from_utf8(input).ok().map(|s| s.encode_utf16().collect::<Vec<_>>());
    assert_eq!(decoded, want);
    // One unmasked FIN text frame carrying the input (client role: frames must not be masked).
    let mut frame = vec![0x81u8];
    if input.len() < 126 {
        frame.push(input.len() as u8);
    } else {
        frame.push(126);
        frame.extend_from_slice(&(input.len() as u16).to_be_bytes());
    }
    let hlen = frame.len();
    frame.extend_from_slice(input);
    for defer in [false, true] {
        let limits = ParseLimits {
            flags: if defer { PARSE_DEFER_TEXT } else { 0 },
            max_frame_size: 1e6,
            max_message_size: 1e6,
            max_fragments: 0.0,
        };
        let mut buf = frame.clone();
        let (mut state, mut out) = ([0.0; STATE_SLOTS], [0.0; FRAME_STRIDE * 2]);
        let n = core_parse_frames(&mut buf, 0, frame.len(), &limits, &mut state, &mut out);
        if defer {
            assert_eq!((n, state[S_ERROR]), (1, 0.0));
            assert_eq!(out[0], f64::from(0x81 | D_TEXT_UNCHECKED));
            assert_eq!(out[1], hlen as f64);
        } else {
            assert_eq!(n == 1 && state[S_ERROR] == 0.0, valid);
        }
    }
}

/// Issue 16's accumulator (`text_message::TextMessage`, what `textAppend`/`textFinish` run natively): the input (after
/// two control bytes: the chop seed and the mask choice) cut at every split point, and chopped into random pieces
/// (0-length ones included), masked with the key rotated to each piece's offset or not. At each: the message fails
/// exactly at the piece holding std's first impossible byte (or with the final piece on a truncated code point),
/// else `finish` — simdutf's non-validating transcoders over the validated bytes — gives std's code units in the
/// smallest form; nothing is appended after the final piece, and `take` hands back exactly the input.
pub fn text_message(data: &[u8]) {
    use ferrosocket_core::text_message::{Next, TextMessage};
    let [seed, mode, input @ ..] = data else { return };
    let input = &input[..input.len().min(400)];
    let key = [0x37, *seed, 0x21, *mode];
    let masked = mode & 1 == 1;
    let wire: Vec<u8> = if masked {
        input.iter().enumerate().map(|(i, b)| b ^ key[i & 3]).collect()
    } else {
        input.to_vec()
    };
    let want = std::str::from_utf8(input).ok().map(|s| s.encode_utf16().collect::<Vec<_>>());
    // The first byte after which std calls the prefix definitely invalid (None: valid, or only cut at the end).
    let bad = (1..=input.len())
        .find(|&n| matches!(std::str::from_utf8(&input[..n]), Err(e) if e.error_len().is_some()))
        .map(|n| n - 1);
    let run = |cuts: &[usize]| {
        let mut m = TextMessage::new();
        let mut from = 0;
        for (i, &n) in cuts.iter().enumerate() {
            let to = from + n;
            let last = i + 1 == cuts.len();
            let rot =
                [key[from & 3], key[(from + 1) & 3], key[(from + 2) & 3], key[(from + 3) & 3]];
            let next = if last { Next::Final } else { Next::Frame(input.len() - to) };
            match m.append(&wire[from..to], masked.then_some(rot), next) {
                Ok(total) => assert_eq!(total, to),
                Err(()) => {
                    // Fail-fast, exactly: the piece holding that byte, or the final piece when the text ends inside
                    // a code point.
                    let here = bad.is_some_and(|b| from <= b && b < to) || (last && bad.is_none());
                    assert!(
                        want.is_none() && here,
                        "{cuts:?} failed at piece {i}, first bad byte {bad:?}"
                    );
                    assert_eq!(m.append(b"", None, Next::Final), Err(()));
                    return;
                }
            }
            from = to;
        }
        let (mut latin1, mut utf16) = (Vec::new(), Vec::new());
        let d = m.finish(&mut latin1, &mut utf16).expect("valid and complete");
        let units: Vec<u16> = match d {
            Decoded::Ascii => m.bytes().iter().map(|&b| u16::from(b)).collect(),
            Decoded::Latin1(n) => latin1[..n].iter().map(|&b| u16::from(b)).collect(),
            Decoded::Utf16(n) => utf16[..n].to_vec(),
        };
        assert_eq!(Some(units), want, "{cuts:?}");
        assert_eq!(m.append(b"x", None, Next::Final), Err(()), "nothing after the final piece");
        assert!(m.finish(&mut latin1, &mut utf16).is_none());
        let mut again = TextMessage::new();
        again.append(input, None, Next::Final).expect("valid");
        assert_eq!(again.take(), input);
    };
    for i in 0..=input.len() {
        run(&[i, input.len() - i]);
    }
    let mut cuts = chop(input.len(), u32::from(*seed) << 8 | u32::from(*mode), 9);
    cuts.push(0); // a 0-length final piece
    run(&cuts);
}
