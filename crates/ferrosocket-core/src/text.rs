//! UTF-8 message bytes → the code units of a JavaScript string (issue 7).
//!
//! WebSocket-Node's API hands text messages over as strings (`utf8Data`). V8's own UTF-8 decoder
//! (Node 20) takes ~147 µs for 64 KiB of mixed-script text; `encoding_rs`'s converter takes ~34 µs
//! (measured on the dev VM, `echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀` repeated). V8 keeps a
//! string one byte per character when every character is ≤ U+00FF, so the result says which form
//! fits: the input itself (ASCII), Latin-1 bytes, or UTF-16 code units.

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

/// Decode valid UTF-8 into the smallest string form, growing the scratch vectors as needed (they
/// are only ever grown, so a caller that keeps them pays for zeroing once). `None` when `src` is
/// not valid UTF-8: the caller decodes with replacement characters its own way.
pub fn decode(src: &[u8], latin1: &mut Vec<u8>, utf16: &mut Vec<u16>) -> Option<Decoded> {
    if src.is_ascii() {
        return Some(Decoded::Ascii);
    }
    if !crate::utf8::is_valid_utf8(src) {
        return None;
    }
    // At most one Latin-1 byte per input byte.
    if latin1.len() < src.len() {
        latin1.resize(src.len(), 0);
    }
    if let Some(n) = latin1_from_valid_utf8(src, latin1) {
        return Some(Decoded::Latin1(n));
    }
    // encoding_rs needs one unit more than the input length.
    if utf16.len() < src.len() + 1 {
        utf16.resize(src.len() + 1, 0);
    }
    let n = encoding_rs::mem::convert_utf8_to_utf16(src, utf16);
    Some(Decoded::Utf16(n))
}

/// Latin-1 bytes of valid UTF-8 `src` into `dst` (at least `src.len()` long), or `None` at the first
/// character above U+00FF. One pass that gives up early: for 64 KiB of Latin-1-only text ~26 µs,
/// where `encoding_rs`'s separate scan + convert took 34 + 35 µs; mixed-script text stops at its
/// first such character.
fn latin1_from_valid_utf8(src: &[u8], dst: &mut [u8]) -> Option<usize> {
    let (mut i, mut j) = (0, 0);
    while i < src.len() {
        if let Some(word) = src.get(i..i + 8) {
            if u64::from_ne_bytes(word.try_into().ok()?) & 0x8080_8080_8080_8080 == 0 {
                dst[j..j + 8].copy_from_slice(word);
                i += 8;
                j += 8;
                continue;
            }
        }
        let b = src[i];
        if b < 0x80 {
            dst[j] = b;
            i += 1;
        } else if b <= 0xc3 {
            // C2/C3 lead U+0080..U+00FF (valid input: never C0/C1, always a continuation byte next).
            dst[j] = (b << 6) | (*src.get(i + 1)? & 0x3f);
            i += 2;
        } else {
            return None;
        }
        j += 1;
    }
    Some(j)
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
