// Rust deflate engines on the same message as node.ts (see README.md): zlib-rs through flate2, and miniz_oxide.
use flate2::{Compress, Compression, FlushCompress, Decompress, FlushDecompress};
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let data = std::fs::read(&path).unwrap();
    let n = 2000;
    // zlib-rs through flate2, raw deflate, level 6, window 15, sync flush per message, context takeover
    let mut c = Compress::new_with_window_bits(Compression::new(6), false, 15);
    let mut out = vec![0u8; data.len() + 1024];
    let mut total = 0usize;
    let t = Instant::now();
    for _ in 0..n {
        let before = c.total_out();
        c.compress(&data, &mut out, FlushCompress::Sync).unwrap();
        total += (c.total_out() - before) as usize;
    }
    let dt = t.elapsed().as_secs_f64() / n as f64 * 1e6;
    println!("zlib-rs deflate (takeover): {:.1} us/msg, ratio {:.3}", dt, total as f64 / (n * data.len()) as f64);
    // no context takeover: fresh each time
    let t = Instant::now();
    let mut comp = Vec::new();
    for _ in 0..n {
        let mut c = Compress::new_with_window_bits(Compression::new(6), false, 15);
        c.compress(&data, &mut out, FlushCompress::Sync).unwrap();
        comp = out[..c.total_out() as usize].to_vec();
    }
    println!("zlib-rs deflate (fresh): {:.1} us/msg", t.elapsed().as_secs_f64() / n as f64 * 1e6);
    let mut big = vec![0u8; data.len() + 1024];
    let t = Instant::now();
    for _ in 0..n {
        let mut d = Decompress::new_with_window_bits(false, 15);
        d.decompress(&comp, &mut big, FlushDecompress::Sync).unwrap();
        assert_eq!(d.total_out() as usize, data.len());
    }
    println!("zlib-rs inflate (fresh): {:.1} us/msg", t.elapsed().as_secs_f64() / n as f64 * 1e6);
    let t = Instant::now();
    for _ in 0..n { let v = miniz_oxide::deflate::compress_to_vec(&data, 6); std::hint::black_box(v); }
    println!("miniz_oxide deflate (fresh): {:.1} us/msg", t.elapsed().as_secs_f64() / n as f64 * 1e6);
}
