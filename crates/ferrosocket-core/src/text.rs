//! UTF-8 message bytes → the code units of a JavaScript string, validated on the way (issues 7, 16).
//!
//! WebSocket-Node's API hands text messages over as strings (`utf8Data`). V8 keeps a string one byte per
//! character when every character is ≤ U+00FF, so the result says which form fits: the input itself (ASCII),
//! Latin-1 bytes, or UTF-16 code units. Every input byte is looked at by exactly one of simdutf's validating
//! kernels (ASCII check, then UTF-8 → Latin-1, then UTF-8 → UTF-16 from where Latin-1 stops), so decoding a text
//! message is also its UTF-8 validation (RFC 6455 §8.1): callers that decode need not validate first.
//! Measured on the dev VM (Zen 4, AVX-512), 64 KiB of mixed-script text: V8's own decoder ~147 µs, the
//! `encoding_rs` converter this replaced ~34 µs plus a separate validation; see `benches/results/`.

use simdutf::ErrorCode;

/// Which code units `decode` produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// The input is ASCII: its bytes are the Latin-1 code units, nothing was written.
    Ascii,
    /// `latin1[..n]` holds the characters (all ≤ U+00FF).
    Latin1(usize),
    /// `utf16[..n]` holds the UTF-16 code units.
    Utf16(usize),
}

/// Room the SIMD kernels get past the largest output they can produce (they never need it by their contract;
/// 64 bytes of scratch are cheaper than relying on that for every kernel and CPU).
const SLACK: usize = 64;

/// Grow `v` (never shrink it) so it holds at least `n` elements.
fn reserve<T: Copy + Default>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        v.resize(n, T::default());
    }
}

/// Validate and decode UTF-8 into the smallest string form in one pass, growing the scratch vectors as needed
/// (they are only ever grown, so a caller that keeps them pays for zeroing once). `None` when `src` is not
/// valid UTF-8.
pub fn decode(src: &[u8], latin1: &mut Vec<u8>, utf16: &mut Vec<u16>) -> Option<Decoded> {
    let ascii = simdutf::validate_ascii_with_errors(src);
    if ascii.error == ErrorCode::Success {
        return Some(Decoded::Ascii);
    }
    // src[..p] is ASCII; from p on, UTF-8 → Latin-1 validates as it converts.
    let p = ascii.count.min(src.len());
    reserve(latin1, src.len() + SLACK);
    latin1[..p].copy_from_slice(&src[..p]);
    let rest = &src[p..];
    // SAFETY: `rest` is readable for its length; `latin1[p..]` has room for one byte per input byte (+ SLACK), the
    // most any conversion writes; the two do not overlap (`latin1` is our own vector).
    let r = unsafe {
        simdutf::convert_utf8_to_latin1_with_errors(
            rest.as_ptr(),
            rest.len(),
            latin1[p..].as_mut_ptr(),
        )
    };
    if r.error == ErrorCode::Success {
        return Some(Decoded::Latin1(p + r.count));
    }
    // At q a character above U+00FF starts (or an error, which the UTF-16 conversion below reports itself), and
    // src[..q] has just been validated (simdutf reports the first error's exact position). The Latin-1 output of
    // a failed conversion is not complete, so the prefix is converted again, from the bytes, without validation.
    let q = p + r.count.min(rest.len());
    if q < src.len() && (0x80..=0xbf).contains(&src[q]) {
        // A stray continuation byte: invalid (a character never starts there).
        return None;
    }
    reserve(utf16, src.len() + SLACK);
    let tail = &src[q..];
    // SAFETY: src[..q] is valid UTF-8 ending on a character boundary (validated above; src[q] starts a character);
    // `utf16` has room for one unit per input byte (+ SLACK), more than the units of src[..q] and `tail` together
    // (n bytes of UTF-8 are at most n units); `utf16` is our own vector, disjoint from `src`.
    let (k, r) = unsafe {
        let k = simdutf::convert_valid_utf8_to_utf16(src.as_ptr(), q, utf16.as_mut_ptr());
        let r = simdutf::convert_utf8_to_utf16_with_errors(
            tail.as_ptr(),
            tail.len(),
            utf16[k..].as_mut_ptr(),
        );
        (k, r)
    };
    if r.error != ErrorCode::Success {
        return None;
    }
    Some(Decoded::Utf16(k + r.count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::XorShift;

    fn check(s: &str) {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        let got: Vec<u16> = match decode(s.as_bytes(), &mut l, &mut u).expect("valid") {
            Decoded::Ascii => {
                assert!(s.is_ascii());
                s.bytes().map(u16::from).collect()
            }
            Decoded::Latin1(n) => {
                assert!(!s.is_ascii() && s.chars().all(|c| (c as u32) <= 0xff));
                l[..n].iter().map(|&b| u16::from(b)).collect()
            }
            Decoded::Utf16(n) => {
                assert!(s.chars().any(|c| (c as u32) > 0xff));
                u[..n].to_vec()
            }
        };
        assert_eq!(got, s.encode_utf16().collect::<Vec<_>>(), "{s:?}");
    }

    #[test]
    fn decodes_every_form() {
        for s in [
            "",
            "hello",
            "héllo wörld ÿ",
            "Ωμέγα",
            "漢字",
            "😀🚀 a",
            "\u{80}",
            "\u{ff}\u{100}",
            "\u{10ffff}",
        ] {
            check(s);
        }
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        for bad in [&[0xc3][..], &[0xed, 0xa0, 0x80], &[0x61, 0xff], &[0xf4, 0x90, 0x80, 0x80]] {
            assert_eq!(decode(bad, &mut l, &mut u), None, "{bad:02x?}");
        }
    }

    /// Long inputs run simdutf's SIMD kernels: every switch point (ASCII → Latin-1 → UTF-16) and an invalid byte
    /// at every position of a few hundred bytes must give std's verdict and std's code units.
    #[test]
    fn long_inputs_match_std_at_every_position() {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        for body in ["a", "é", "€", "😀"] {
            for len in [63usize, 64, 65, 130, 300] {
                let base: Vec<u8> = body.repeat(len).into_bytes();
                for at in (0..base.len()).step_by(7) {
                    for insert in [
                        &b"\xff"[..],
                        b"\xce",
                        "Ω".as_bytes(),
                        "ÿ".as_bytes(),
                        b"\xed\xa0\x80",
                        b"\xc0\xaf",
                    ] {
                        let mut v = base[..at].to_vec();
                        v.extend_from_slice(insert);
                        v.extend_from_slice(&base[at..]);
                        let want = core::str::from_utf8(&v)
                            .ok()
                            .map(|s| s.encode_utf16().collect::<Vec<_>>());
                        let got = decode(&v, &mut l, &mut u).map(|d| match d {
                            Decoded::Ascii => v.iter().map(|&b| u16::from(b)).collect::<Vec<_>>(),
                            Decoded::Latin1(n) => l[..n].iter().map(|&b| u16::from(b)).collect(),
                            Decoded::Utf16(n) => u[..n].to_vec(),
                        });
                        assert_eq!(got, want, "{body} {len} {at} {insert:x?}");
                    }
                }
            }
        }
    }

    #[test]
    fn scratch_reused_across_sizes() {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        let mut rng = XorShift::new(7);
        let pool = ['a', 'é', 'Ω', '漢', '😀', 'ÿ'];
        for _ in 0..300 {
            let len = (rng.next() % 200) as usize;
            let s: String =
                (0..len).map(|_| pool[(rng.next() % pool.len() as u64) as usize]).collect();
            let want: Vec<u16> = s.encode_utf16().collect();
            let got: Vec<u16> = match decode(s.as_bytes(), &mut l, &mut u).expect("valid") {
                Decoded::Ascii => s.bytes().map(u16::from).collect(),
                Decoded::Latin1(n) => l[..n].iter().map(|&b| u16::from(b)).collect(),
                Decoded::Utf16(n) => u[..n].to_vec(),
            };
            assert_eq!(got, want);
        }
    }
}
