//! Stable-toolchain stand-in for a short fuzz run (CI): replays the committed corpus of every target, then a
//! seeded batch of random inputs (and of random frame streams built from valid headers), through the same checks
//! the libFuzzer targets run.

use std::fs;
use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 7] = [
    ("header_parse", ferrosocket_core_fuzz::header_parse),
    ("parse_frames", ferrosocket_core_fuzz::parse_frames),
    ("utf8_stream", ferrosocket_core_fuzz::utf8_stream),
    ("unmask", ferrosocket_core_fuzz::unmask),
    ("decode_text", ferrosocket_core_fuzz::decode_text),
    ("text_split", ferrosocket_core_fuzz::text_split),
    ("text_message", ferrosocket_core_fuzz::text_message),
];

#[test]
fn corpus_replays_clean() {
    let mut total = 0;
    for (name, check) in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
        let mut n = 0;
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            check(&fs::read(&path).unwrap());
            n += 1;
        }
        assert!(n > 0, "empty corpus for {name}");
        total += n;
    }
    assert!(total >= 8);
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A stream of mostly well-formed frames (random opcodes, FIN, mask, lengths around the 7/16-bit edges).
fn frame_stream(r: &mut Rng) -> Vec<u8> {
    let mut v = r.bytes(4);
    for _ in 0..(r.next() % 12) {
        let b0 = [0x81u8, 0x82, 0x01, 0x02, 0x00, 0x80, 0x89, 0x8a, 0x88, 0xc1, 0x83]
            [(r.next() % 11) as usize];
        let len = [0usize, 1, 5, 125, 126, 300][(r.next() % 6) as usize];
        let masked = r.next() % 2 == 0;
        let mb = if masked { 0x80 } else { 0 };
        v.push(b0);
        if len < 126 {
            v.push(mb | len as u8);
        } else {
            v.push(mb | 126);
            v.extend_from_slice(&(len as u16).to_be_bytes());
        }
        if masked {
            v.extend(r.bytes(4));
        }
        let text = "aé€😀".as_bytes();
        v.extend((0..len).map(|i| if r.next() % 64 == 0 { 0xff } else { text[i % text.len()] }));
    }
    v
}

#[test]
fn seeded_random_inputs() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..3000 {
        let len = (r.next() % 300) as usize;
        let data = r.bytes(len);
        for (_, check) in TARGETS {
            check(&data);
        }
        ferrosocket_core_fuzz::parse_frames(&frame_stream(&mut r));
        let mut utf8 = vec![(i % 256) as u8];
        utf8.extend("ascii é € 😀 ".repeat(1 + i % 5).as_bytes());
        if i % 3 == 0 {
            let at = (r.next() as usize) % utf8.len();
            utf8[at] = r.next() as u8;
        }
        ferrosocket_core_fuzz::utf8_stream(&utf8);
        ferrosocket_core_fuzz::decode_text(&utf8);
        ferrosocket_core_fuzz::text_split(&utf8);
        ferrosocket_core_fuzz::text_message(&utf8);
        let mut latin1 = vec![(i % 256) as u8];
        latin1.extend("héllo wörld ÿ ".repeat(1 + i % 7).as_bytes());
        ferrosocket_core_fuzz::decode_text(&latin1);
    }
}
