//! Deterministic pseudo-random inputs for the tests (no dev-dependency needed).

pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.next() as u8;
        }
    }

    /// Bytes biased towards lead/continuation bytes and the UTF-8 edge values, so that both valid
    /// and invalid multi-byte sequences are common.
    pub(crate) fn fill_utf8ish(&mut self, buf: &mut [u8]) {
        const PICK: [u8; 24] = [
            0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
            0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
        ];
        let mut i = 0;
        while i < buf.len() {
            let r = self.next();
            if r.is_multiple_of(5) {
                // Emit a whole valid scalar value.
                let c = char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('\u{fffd}');
                let mut tmp = [0u8; 4];
                for &b in c.encode_utf8(&mut tmp).as_bytes() {
                    if i < buf.len() {
                        buf[i] = b;
                        i += 1;
                    }
                }
            } else {
                buf[i] = PICK[(r >> 8) as usize % PICK.len()];
                i += 1;
            }
        }
    }
}
