//! UTF-8 validation of text payloads and close reasons (RFC 6455 §8.1, RFC 3629).
//!
//! Whole buffers go through simdutf (C++, run-time dispatch to AVX-512/AVX2/SSE4.2/NEON kernels; Rust `std` is
//! ~10× slower on non-ASCII text, and this is the validator Node's `buffer.isUtf8` uses). Fragmented
//! text messages are validated as they arrive: a code point split across frames is carried in a
//! small `u32` state, and the connection fails at the first byte that can never become valid
//! (§8.1 "fail the WebSocket connection" as soon as invalid data is seen, Autobahn 6.4.x).

/// Whole-buffer validation.
#[inline]
pub fn is_valid_utf8(buf: &[u8]) -> bool {
    simdutf::validate_utf8(buf)
}

/// Start of the code point cut by the end of `buf` (a lead byte, 0..3 bytes from the end, announcing more bytes
/// than follow it), or `buf.len()` when the end is not inside one that could still be completed. Only the lead's
/// announced length is read here; whether the cut bytes can become valid is checked on the carry.
#[inline]
fn incomplete_tail_start(buf: &[u8]) -> usize {
    let len = buf.len();
    for k in 1..=len.min(3) {
        let b = buf[len - k];
        if (0x80..=0xbf).contains(&b) {
            continue;
        }
        let announced = match b {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xff => 4,
            _ => 1,
        };
        return if announced > k { len - k } else { len };
    }
    len
}

/// Total length of the UTF-8 sequence introduced by `lead`, or 0 when it cannot start one.
#[inline]
fn sequence_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 0,
    }
}

/// Whether `b` may follow `prefix` (1..3 bytes, `prefix[0]` a valid lead) inside one code point.
/// The second byte carries the overlong/surrogate/range rules of RFC 3629 §4.
#[inline]
fn continues(prefix: &[u8], b: u8) -> bool {
    if prefix.len() == 1 {
        let range = match prefix[0] {
            0xe0 => 0xa0..=0xbf,
            0xed => 0x80..=0x9f,
            0xf0 => 0x90..=0xbf,
            0xf4 => 0x80..=0x8f,
            _ => 0x80..=0xbf,
        };
        range.contains(&b)
    } else {
        (0x80..=0xbf).contains(&b)
    }
}

/// Decode a carry state into its bytes, or `None` when it is not the viable prefix of a code point.
fn decode_state(state: u32) -> Option<([u8; 3], usize)> {
    let n = (state >> 24) as usize;
    let bytes = [(state >> 16) as u8, (state >> 8) as u8, state as u8];
    if !(1..=3).contains(&n) || bytes[n..].iter().any(|&b| b != 0) {
        return None;
    }
    let need = sequence_len(bytes[0]);
    if need <= n {
        // Not a lead byte (need 0), ASCII, or already a whole code point: never a carry.
        return None;
    }
    for i in 1..n {
        if !continues(&bytes[..i], bytes[i]) {
            return None;
        }
    }
    Some((bytes, n))
}

#[inline]
fn encode_state(carry: &[u8]) -> u32 {
    let mut s = (carry.len() as u32) << 24;
    for (i, &b) in carry.iter().enumerate() {
        s |= u32::from(b) << (16 - 8 * i);
    }
    s
}

/// Streaming validation across the frames of one text message.
///
/// `state` is 0 at the start of a message, else the value returned by the previous call: an
/// incomplete code point, encoded as `(len << 24) | (b0 << 16) | (b1 << 8) | b2` with `len` 1..=3
/// and unused bytes 0. Returns the new state (0 on a code point boundary), or `Err(())` as soon as
/// a byte is seen that can never become valid — including a state that is not a viable prefix
/// (E0 80, ED A0, F4 90, F5.., C0, C1, …), and with `is_final` an incomplete code point at the end.
// The only failure is "invalid"; the caller maps it to `ProtocolError::InvalidUtf8` / -1.
#[allow(clippy::result_unit_err)]
pub fn utf8_stream(state: u32, buf: &[u8], is_final: bool) -> Result<u32, ()> {
    let mut rest = buf;
    if state != 0 {
        let (mut carry, mut n) = decode_state(state).ok_or(())?;
        let need = sequence_len(carry[0]);
        while n < need {
            let Some((&b, tail)) = rest.split_first() else {
                return if is_final { Err(()) } else { Ok(encode_state(&carry[..n])) };
            };
            if !continues(&carry[..n], b) {
                return Err(());
            }
            if n < 3 {
                carry[n] = b;
            }
            n += 1;
            rest = tail;
        }
    }
    // One validation per byte: the complete code points with simdutf, the cut one (at most 3 bytes) as a carry.
    let tail = if is_final { rest.len() } else { incomplete_tail_start(rest) };
    if !simdutf::validate_utf8(&rest[..tail]) {
        return Err(());
    }
    if tail == rest.len() {
        return Ok(0);
    }
    let state = encode_state(&rest[tail..]);
    decode_state(state).map(|_| state).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::XorShift;

    /// Reference: feed the bytes one at a time to std's validator.
    fn naive_stream(state_bytes: &[u8], buf: &[u8], is_final: bool) -> Result<Vec<u8>, ()> {
        let mut all = state_bytes.to_vec();
        all.extend_from_slice(buf);
        match core::str::from_utf8(&all) {
            Ok(_) => Ok(Vec::new()),
            Err(e) if e.error_len().is_none() && !is_final => Ok(all[e.valid_up_to()..].to_vec()),
            Err(_) => Err(()),
        }
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = vec![
            "Hello-µ@ßöäüàá-UTF-8!!".into(),
            "κόσμε € 𝄞 日本語 emoji 😀 end".into(),
            vec![0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5],
            vec![0xf4, 0x8f, 0xbf, 0xbf],
            vec![0xef, 0xbf, 0xbf],
        ];
        // Invalid ones (Autobahn 6.x flavour).
        for bad in [
            &[0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80][..],
            &[0xe0, 0x80, 0x80],
            &[0xf4, 0x90, 0x80, 0x80],
            &[0xf5, 0x80],
            &[0xc0, 0xaf],
            &[0xc1, 0xbf],
            &[0x80],
            &[0xf0, 0x8f, 0xbf, 0xbf],
            &[0xe1, 0x80, 0x41],
            &[0x41, 0xff, 0x41],
            &[0xed, 0x9f, 0xbf, 0xed, 0xa0],
        ] {
            v.push(bad.to_vec());
        }
        v
    }

    #[test]
    fn whole_buffer_matches_std() {
        let mut rng = XorShift::new(7);
        for s in samples() {
            assert_eq!(is_valid_utf8(&s), core::str::from_utf8(&s).is_ok(), "{s:x?}");
        }
        for len in 0..=64 {
            for align in 0..=3 {
                for _ in 0..100 {
                    let mut storage = vec![0u8; len + align];
                    rng.fill_utf8ish(&mut storage);
                    let b = &storage[align..];
                    assert_eq!(is_valid_utf8(b), core::str::from_utf8(b).is_ok(), "{b:x?}");
                }
            }
        }
        // Long inputs take simdutf's SIMD kernels: an error at every position of 200 ASCII bytes.
        let mut long = vec![b'a'; 200];
        assert!(is_valid_utf8(&long));
        for i in 0..long.len() {
            long[i] = 0xff;
            assert!(!is_valid_utf8(&long), "0xff at {i}");
            assert_eq!(utf8_stream(0, &long, false), Err(()));
            long[i] = b'a';
        }
    }

    #[test]
    fn split_at_every_position_matches_whole_buffer() {
        for s in samples() {
            let whole_ok = core::str::from_utf8(&s).is_ok();
            for cut in 0..=s.len() {
                let r = utf8_stream(0, &s[..cut], false)
                    .and_then(|st| utf8_stream(st, &s[cut..], true));
                assert_eq!(r.is_ok(), whole_ok, "{s:x?} cut {cut}");
                if let Ok(st) = r {
                    assert_eq!(st, 0);
                }
            }
            // Byte by byte, also checking that the failure comes at the first impossible byte.
            let mut st = Ok(0);
            for (i, b) in s.iter().enumerate() {
                let last = i + 1 == s.len();
                st = st.and_then(|x| utf8_stream(x, &[*b], last));
                let expect = naive_stream(&[], &s[..=i], last).is_ok();
                assert_eq!(st.is_ok(), expect, "{s:x?} byte {i}");
            }
        }
    }

    #[test]
    fn random_streams_match_std_reference() {
        let mut rng = XorShift::new(11);
        for _ in 0..20_000 {
            let len = (rng.next() % 24) as usize;
            let mut all = vec![0u8; len];
            rng.fill_utf8ish(&mut all);
            let cut = if len == 0 { 0 } else { (rng.next() as usize) % (len + 1) };
            let fin = rng.next() & 1 == 1;
            let first = utf8_stream(0, &all[..cut], false);
            let want_first = naive_stream(&[], &all[..cut], false);
            assert_eq!(first.is_ok(), want_first.is_ok(), "{all:x?} cut {cut}");
            let (Ok(st), Ok(carry)) = (first, want_first) else { continue };
            assert_eq!(st, encode_state(&carry));
            let second = utf8_stream(st, &all[cut..], fin);
            let want = naive_stream(&carry, &all[cut..], fin);
            assert_eq!(second.ok(), want.ok().map(|c| encode_state(&c)), "{all:x?} {cut} {fin}");
        }
    }

    /// simdutf takes its SIMD kernels on long inputs: the carry/fail-fast verdict at the end of a
    /// long buffer must still match std's, for every tail and every prefix length.
    #[test]
    fn long_buffers_end_the_same_as_std() {
        let tails: [&[u8]; 12] = [
            &[0xce],
            &[0xe2, 0x82],
            &[0xf0, 0x9f, 0x98],
            &[0xe0, 0x80],
            &[0xed, 0xa0],
            &[0xf4, 0x90],
            &[0xf5],
            &[0xc0],
            &[0xc1],
            &[0x80],
            &[0xf0, 0x9f, 0x98, 0x80],
            &[0xff, 0x41],
        ];
        for prefix_len in [63, 64, 65, 127, 128, 200, 1000] {
            for body in ["a", "é", "€", "😀"] {
                let mut v = body.repeat(prefix_len).into_bytes();
                v.truncate(prefix_len.max(1) / body.len() * body.len());
                for tail in tails {
                    let mut all = v.clone();
                    all.extend_from_slice(tail);
                    for fin in [false, true] {
                        let want = naive_stream(&[], &all, fin).map(|c| encode_state(&c));
                        assert_eq!(
                            utf8_stream(0, &all, fin),
                            want,
                            "{prefix_len} {body} {tail:x?} {fin}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn impossible_carried_prefixes_fail_immediately() {
        for st in [
            0x02e0_8000u32, // E0 80: overlong
            0x02ed_a000,    // ED A0: surrogate
            0x02f4_9000,    // F4 90: above U+10FFFF
            0x01f5_0000,    // F5: never a lead
            0x01ff_0000,
            0x01c0_0000, // C0, C1: overlong two-byte leads
            0x01c1_0000,
            0x0180_0000, // a lone continuation byte
            0x0141_0000, // ASCII is never carried
            0x02c3_a900, // a complete code point is never carried
            0x04f0_9090, // carry length 4
            0x01e0_0001, // unused bytes not zero
            0x00e0_0000, // length 0 with bytes
        ] {
            assert_eq!(utf8_stream(st, &[], false), Err(()), "{st:08x}");
            assert_eq!(utf8_stream(st, &[0x80], false), Err(()), "{st:08x}");
        }
        assert_eq!(utf8_stream(0x01e0_0000, &[], false), Ok(0x01e0_0000));
        assert_eq!(utf8_stream(0x01e0_0000, &[], true), Err(()));
        assert_eq!(utf8_stream(0x01e0_0000, &[0xa0], false), Ok(0x02e0_a000));
        assert_eq!(utf8_stream(0x02e0_a000, &[0x80], true), Ok(0));
        assert_eq!(utf8_stream(0x03f0_9f98, &[0x80, 0x41], true), Ok(0));
        assert_eq!(utf8_stream(0, &[0xf0, 0x9f, 0x98], false), Ok(0x03f0_9f98));
        assert_eq!(utf8_stream(0, &[0xe0, 0x80], false), Err(()));
        assert_eq!(utf8_stream(0, &[0xf4, 0x90], false), Err(()));
        assert_eq!(utf8_stream(0, &[0xed, 0xa0], false), Err(()));
        assert_eq!(utf8_stream(0, &[0xf5], false), Err(()));
        assert_eq!(utf8_stream(0, &[0xc0], false), Err(()));
        assert_eq!(utf8_stream(0, &[], true), Ok(0));
    }
}
