//! A text message received in pieces (issue 16): socket reads of one frame's payload, or the frames of a
//! fragmented message. Each piece is copied (and unmasked) into memory owned here, validated once as it is
//! appended — streaming, fail-fast, the code point cut by a piece's end carried to the next (`utf8::utf8_stream`)
//! — and classified (its largest byte) on the way. When the last piece is in, the string is made from those
//! validated bytes with simdutf's *non-validating* transcoders: nothing is validated twice.
//!
//! Why the bytes must live here: simdutf's non-validating transcoders do not promise memory safety on invalid
//! input, so they may only see bytes that were validated and that nobody could change since. The bytes are
//! validated in this struct's own vector, after the copy (a `SharedArrayBuffer` source could change under a
//! check made on the source itself), and the vector is never handed out while it is still being used.
//!
//! Memory grows with the bytes that arrive, never with a length only declared: a frame announcing 2^40 bytes
//! followed by one byte costs `FIRST_CAPACITY`, not an allocation of its declared length.

use crate::{mask::unmask, text::Decoded, utf8::utf8_stream};

/// First capacity for a frame still arriving (or its declared length if smaller): one socket read's worth (Node
/// reads up to 64 KiB at a time), so a 64 KiB message arriving in two reads is never moved.
pub const FIRST_CAPACITY: usize = 64 * 1024;
/// First capacity for a fragment of a message whose length is not known yet.
const MIN_CAPACITY: usize = 1024;
/// `state` of a message that failed: every later append fails too, until `clear`.
const FAILED: u32 = u32::MAX;

/// What the caller knows of the bytes after a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// This piece ends the message (the last bytes of its FIN frame).
    Final,
    /// `n` more bytes of the same frame are declared (the capacity grows towards them, no further).
    Frame(usize),
    /// The piece ends a frame that is not the last of its message: more may follow, how much is unknown.
    Unknown,
}

/// The capacity to grow a message's storage to, from `cap`, when `len` bytes are held and `n` more arrive:
/// `Final` exactly what is needed; a frame still arriving doubles (at least `FIRST_CAPACITY`) but never past its
/// declared end; a frame that ended without ending the message doubles (at least `MIN_CAPACITY`).
pub fn grown_capacity(len: usize, cap: usize, n: usize, next: Next) -> usize {
    let need = len + n;
    match next {
        Next::Final => need,
        Next::Frame(more) => {
            cap.saturating_mul(2).max(FIRST_CAPACITY).max(need).min(need.saturating_add(more))
        }
        Next::Unknown => cap.saturating_mul(2).max(MIN_CAPACITY).max(need),
    }
}

/// The validation state of a text message whose bytes the caller stores (the Node binding keeps them in a Buffer
/// that only it references; `TextMessage` in a `Vec`): the cut code point, the largest byte, completion.
#[derive(Debug, Default, Clone, Copy)]
pub struct TextState {
    /// `utf8_stream` state after the bytes so far (the cut code point), or `FAILED`.
    state: u32,
    /// Largest byte so far: < 0x80 ASCII; < 0xC4 every character ≤ U+00FF (no lead above C3).
    max: u8,
    /// The final piece is in and valid.
    complete: bool,
}

impl TextState {
    /// A message with no bytes yet.
    pub const fn new() -> Self {
        Self { state: 0, max: 0, complete: false }
    }

    /// The final piece is in and the message is valid UTF-8.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether another piece may be appended: not failed, final piece not in yet. When not, the message becomes
    /// failed (no string either).
    pub fn admit(&mut self) -> bool {
        if self.state == FAILED || self.complete {
            self.state = FAILED;
            self.complete = false;
            return false;
        }
        true
    }

    /// Validate `piece`: the bytes the caller just stored after the message's previous bytes (already unmasked,
    /// in storage the caller owns and nothing else writes). `Err(())` at the first byte that can never be valid;
    /// the message is failed then.
    #[allow(clippy::result_unit_err)]
    pub fn check(&mut self, piece: &[u8], next: Next) -> Result<(), ()> {
        // Once a lead above C3 was seen the form is UTF-16 whatever follows: no scan (0xff: validate the piece).
        let max = if self.max >= 0xc4 { 0xff } else { largest_byte(piece) };
        let is_final = next == Next::Final;
        if max >= 0x80 || self.state != 0 {
            match utf8_stream(self.state, piece, is_final) {
                Ok(s) => self.state = s,
                Err(()) => {
                    self.state = FAILED;
                    return Err(());
                }
            }
        }
        // (ASCII after a code point boundary is valid as it is: the largest-byte scan was its check.)
        self.max = self.max.max(max);
        self.complete = is_final;
        Ok(())
    }

    /// The string form of the complete message, as `text::decode` gives it (`Decoded::Ascii`: the code units are
    /// `bytes`), transcoded without validating again; `None` unless the final piece is in.
    ///
    /// # Safety
    /// `bytes` are exactly the pieces passed to `check` since the message began, in order and unchanged since
    /// (simdutf's non-validating transcoders are not memory-safe on invalid UTF-8).
    pub unsafe fn finish(
        &self,
        bytes: &[u8],
        latin1: &mut Vec<u8>,
        utf16: &mut Vec<u16>,
    ) -> Option<Decoded> {
        if !self.complete {
            return None;
        }
        debug_assert!(core::str::from_utf8(bytes).is_ok());
        if self.max < 0x80 {
            return Some(Decoded::Ascii);
        }
        if self.max < 0xc4 {
            grow(latin1, bytes.len());
            // SAFETY: `bytes` is valid UTF-8 (every byte passed `check`, the last piece with `is_final`, and is
            // unchanged: the caller's contract) and has no lead byte above C3, so every character is ≤ U+00FF;
            // `latin1` holds ≥ bytes.len() bytes, the most the conversion writes; `latin1` is ours, disjoint.
            let n = unsafe {
                simdutf::convert_valid_utf8_to_latin1(
                    bytes.as_ptr(),
                    bytes.len(),
                    latin1.as_mut_ptr(),
                )
            };
            return Some(Decoded::Latin1(n));
        }
        grow(utf16, bytes.len());
        // SAFETY: `bytes` is valid UTF-8 (as above); `utf16` holds ≥ bytes.len() units, the most n bytes of UTF-8
        // become; `utf16` is ours, disjoint.
        let n = unsafe {
            simdutf::convert_valid_utf8_to_utf16(bytes.as_ptr(), bytes.len(), utf16.as_mut_ptr())
        };
        Some(Decoded::Utf16(n))
    }
}

/// A text message whose bytes live in a `Vec` it owns: `TextState` over storage nothing else can write.
#[derive(Debug, Default)]
pub struct TextMessage {
    bytes: Vec<u8>,
    st: TextState,
}

impl TextMessage {
    /// An empty message.
    pub const fn new() -> Self {
        Self { bytes: Vec::new(), st: TextState::new() }
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// No bytes so far.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes allocated.
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// The final piece is in and the message is valid UTF-8.
    pub fn is_complete(&self) -> bool {
        self.st.is_complete()
    }

    /// Forget the message; the allocation is freed when larger than `keep` bytes.
    pub fn clear(&mut self, keep: usize) {
        if self.bytes.capacity() > keep {
            self.bytes = Vec::new();
        } else {
            self.bytes.clear();
        }
        self.st = TextState::new();
    }

    /// Append one piece, unmasked with `key` (the frame's key rotated to this piece's offset in its frame) when
    /// given, and validate it. `Ok(total bytes)`, or `Err(())` at the first byte that can never be valid UTF-8
    /// (then, and on any append after a piece with `Next::Final`, the message is failed until `clear`).
    #[allow(clippy::result_unit_err)]
    pub fn append(&mut self, src: &[u8], key: Option<[u8; 4]>, next: Next) -> Result<usize, ()> {
        if !self.st.admit() {
            return Err(());
        }
        let at = self.bytes.len();
        if at + src.len() > self.bytes.capacity() {
            let target = grown_capacity(at, self.bytes.capacity(), src.len(), next);
            self.bytes.reserve_exact(target - at);
        }
        // A copy, then the unmasking in place (both at memory speed on a cache-hot piece): no zero-filling, no
        // uninitialised memory behind a slice. Checked on our copy: the source might change under us (shared
        // memory), this vector cannot.
        self.bytes.extend_from_slice(src);
        if let Some(key) = key {
            unmask(&mut self.bytes[at..], key);
        }
        self.st.check(&self.bytes[at..], next)?;
        Ok(self.bytes.len())
    }

    /// The string form of the complete message (see `TextState::finish`); `None` unless the final piece is in.
    /// The bytes stay until `take` or `clear`.
    pub fn finish(&self, latin1: &mut Vec<u8>, utf16: &mut Vec<u16>) -> Option<Decoded> {
        // SAFETY: `self.bytes` are exactly the pieces `append` checked, and only `append`/`clear`/`take` change them.
        unsafe { self.st.finish(&self.bytes, latin1, utf16) }
    }

    /// The bytes so far (the code units of `Decoded::Ascii`).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Move the bytes out (a finished message's UTF-8, for the caller to keep); the message is empty afterwards.
    pub fn take(&mut self) -> Vec<u8> {
        let bytes = core::mem::take(&mut self.bytes);
        self.clear(0);
        bytes
    }
}

/// The largest byte of `b`, or some byte ≥ C4 as soon as one is seen (the scan stops there: the string form is
/// UTF-16 then). Blocks of 256 bytes keep the inner fold vectorised.
fn largest_byte(b: &[u8]) -> u8 {
    let mut m = 0u8;
    for block in b.chunks(256) {
        m = block.iter().fold(m, |m, &x| m.max(x));
        if m >= 0xc4 {
            break;
        }
    }
    m
}

/// Grow `v` (never shrink it) to at least `n` elements (+ 64 of slack for the SIMD kernels, as `text::decode`).
fn grow<T: Copy + Default>(v: &mut Vec<T>, n: usize) {
    if v.len() < n + 64 {
        v.resize(n + 64, T::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::XorShift;

    fn units(m: &TextMessage, d: Decoded, l: &[u8], u: &[u16]) -> Vec<u16> {
        match d {
            Decoded::Ascii => m.bytes().iter().map(|&b| u16::from(b)).collect(),
            Decoded::Latin1(n) => l[..n].iter().map(|&b| u16::from(b)).collect(),
            Decoded::Utf16(n) => u[..n].to_vec(),
        }
    }

    /// Feed `v` in pieces cut at `cuts` (as frame pieces), unmasked with a key when `masked`; the verdict and the
    /// failing piece must be std's, the code units std's.
    fn feed(v: &[u8], cuts: &[usize], masked: bool) -> Result<Vec<u16>, usize> {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let wire: Vec<u8> = if masked {
            v.iter().enumerate().map(|(i, b)| b ^ key[i & 3]).collect()
        } else {
            v.to_vec()
        };
        let mut m = TextMessage::new();
        let mut bounds = cuts.to_vec();
        bounds.push(v.len());
        let mut from = 0;
        for (i, &to) in bounds.iter().enumerate() {
            let rot =
                [key[from & 3], key[(from + 1) & 3], key[(from + 2) & 3], key[(from + 3) & 3]];
            let next = if i + 1 == bounds.len() { Next::Final } else { Next::Frame(v.len() - to) };
            if m.append(&wire[from..to], masked.then_some(rot), next).is_err() {
                return Err(i);
            }
            from = to;
        }
        let (mut l, mut u) = (Vec::new(), Vec::new());
        let d = m.finish(&mut l, &mut u).expect("complete");
        Ok(units(&m, d, &l, &u))
    }

    /// Index of the piece in which std first sees a byte that cannot become valid.
    fn first_bad_piece(v: &[u8], cuts: &[usize]) -> Option<usize> {
        let mut bounds = cuts.to_vec();
        bounds.push(v.len());
        for (i, &to) in bounds.iter().enumerate() {
            match core::str::from_utf8(&v[..to]) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() && i + 1 < bounds.len() => {}
                Err(_) => return Some(i),
            }
        }
        None
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for body in ["a", "é", "ÿ", "Ω", "€", "😀", "aé€😀"] {
            for len in [1usize, 3, 40, 70] {
                out.push(body.repeat(len).into_bytes());
            }
        }
        for bad in [
            &b"ab\xffcd"[..],
            b"\xed\xa0\x80",
            b"\xe0\x80\x80",
            b"\xf4\x90\x80\x80",
            b"\xc3",
            b"a\xc0\xaf",
        ] {
            out.push(bad.to_vec());
            let mut long = "é€".repeat(30).into_bytes();
            long.extend_from_slice(bad);
            long.extend_from_slice(&"ok".repeat(20).into_bytes());
            out.push(long);
        }
        out
    }

    #[test]
    fn every_single_and_double_split_matches_std() {
        for v in samples() {
            let want = core::str::from_utf8(&v).ok().map(|s| s.encode_utf16().collect::<Vec<_>>());
            for masked in [false, true] {
                for a in 0..=v.len() {
                    let got = feed(&v, &[a], masked);
                    assert_eq!(got.as_ref().ok(), want.as_ref(), "{v:x?} cut {a}");
                    if let Err(piece) = got {
                        assert_eq!(Some(piece), first_bad_piece(&v, &[a]), "{v:x?} cut {a}");
                    }
                    if v.len() > 12 {
                        continue;
                    }
                    for b in a..=v.len() {
                        let got = feed(&v, &[a, b], masked);
                        assert_eq!(got.as_ref().ok(), want.as_ref(), "{v:x?} cuts {a} {b}");
                        if let Err(piece) = got {
                            assert_eq!(Some(piece), first_bad_piece(&v, &[a, b]));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_code_point_cut_into_four_pieces() {
        let v = "a😀b".as_bytes();
        assert_eq!(
            feed(v, &[1, 2, 3, 4, 5], true).unwrap(),
            "a😀b".encode_utf16().collect::<Vec<_>>()
        );
        assert_eq!(feed(b"a\xf0\x9f\x98", &[1, 2, 3], false), Err(3), "cut code point at the end");
        assert_eq!(
            feed(b"a\xf0\x9f\x41", &[1, 2, 3], false),
            Err(3),
            "fails at the byte that breaks it"
        );
        assert_eq!(feed(b"a\xf0\x8f", &[1, 2], false), Err(2), "overlong seen at its second byte");
    }

    #[test]
    fn random_pieces_match_std() {
        let mut rng = XorShift::new(5);
        for _ in 0..3000 {
            let len = (rng.next() % 300) as usize;
            let mut v = vec![0u8; len];
            rng.fill_utf8ish(&mut v);
            let mut cuts: Vec<usize> =
                (0..rng.next() % 5).map(|_| (rng.next() as usize) % (len + 1)).collect();
            cuts.sort_unstable();
            let want = core::str::from_utf8(&v).ok().map(|s| s.encode_utf16().collect::<Vec<_>>());
            let got = feed(&v, &cuts, rng.next() & 1 == 1);
            assert_eq!(got.as_ref().ok(), want.as_ref(), "{v:x?} {cuts:?}");
            if let Err(piece) = got {
                assert_eq!(Some(piece), first_bad_piece(&v, &cuts));
            }
        }
    }

    #[test]
    fn forms_follow_the_largest_character() {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        for (s, form) in [("abc", 0), ("", 0), ("aé", 1), ("ÿ", 1), ("\u{100}", 2), ("a😀", 2)]
        {
            let mut m = TextMessage::new();
            m.append(s.as_bytes(), None, Next::Final).unwrap();
            let d = m.finish(&mut l, &mut u).unwrap();
            let f = match d {
                Decoded::Ascii => 0,
                Decoded::Latin1(_) => 1,
                Decoded::Utf16(_) => 2,
            };
            assert_eq!(f, form, "{s}");
            assert_eq!(units(&m, d, &l, &u), s.encode_utf16().collect::<Vec<_>>());
        }
    }

    #[test]
    fn unfinished_failed_and_restarted_messages() {
        let (mut l, mut u) = (Vec::new(), Vec::new());
        let mut m = TextMessage::new();
        assert_eq!(m.append(b"ab", None, Next::Unknown), Ok(2));
        assert_eq!(m.finish(&mut l, &mut u), None, "not complete");
        assert_eq!(m.append(b"", None, Next::Unknown), Ok(2), "0-length piece");
        assert_eq!(m.append(b"\xff", None, Next::Unknown), Err(()));
        assert_eq!(m.append(b"c", None, Next::Final), Err(()), "failure sticks");
        assert_eq!(m.finish(&mut l, &mut u), None);
        m.clear(0);
        assert_eq!(m.append(b"", None, Next::Final), Ok(0), "empty message");
        assert_eq!(m.finish(&mut l, &mut u), Some(Decoded::Ascii));
        assert_eq!(m.append(b"x", None, Next::Final), Err(()), "no append after the final piece");
        assert_eq!(m.finish(&mut l, &mut u), None, "and no string after it either");
        m.clear(0);
        m.append("é".as_bytes(), None, Next::Final).unwrap();
        assert_eq!(m.take(), "é".as_bytes());
        assert!(m.is_empty() && !m.is_complete() && m.capacity() == 0);
    }

    #[test]
    fn capacity_grows_with_arriving_bytes_only() {
        let mut m = TextMessage::new();
        // A frame declaring 2^40 bytes: one byte costs the first capacity, not the declared length.
        m.append(b"a", None, Next::Frame(1 << 40)).unwrap();
        assert_eq!(m.capacity(), FIRST_CAPACITY);
        m.clear(0);
        // A 64 KiB frame in two reads: allocated once, at its declared length.
        m.append(&[b'a'; 65_522], None, Next::Frame(14)).unwrap();
        assert_eq!(m.capacity(), 65_536);
        m.append(&[b'a'; 14], None, Next::Final).unwrap();
        assert_eq!(m.capacity(), 65_536);
        m.clear(65_536);
        assert_eq!(m.capacity(), 65_536, "kept up to `keep`");
        m.clear(1024);
        assert_eq!(m.capacity(), 0, "freed above `keep`");
        // Doubling while bytes keep arriving, never past the declared end.
        let mut caps = Vec::new();
        for _ in 0..5 {
            m.append(&[b'a'; 40_000], None, Next::Frame(1_000_000)).unwrap();
            caps.push(m.capacity());
        }
        assert_eq!(caps, [65_536, 131_072, 131_072, 262_144, 262_144]);
        m.clear(0);
        m.append(&[b'a'; 100], None, Next::Frame(50)).unwrap();
        assert_eq!(m.capacity(), 150, "capped at the declared end of the frame");
    }
}
