//! Payload masking (RFC 6455 §5.3): `byte[i] ^ key[i mod 4]`.
//!
//! Every masked byte a server receives goes through here, so this is the hottest loop of the
//! library. Baseline x86-64 and other targets use 16-byte words (`u128`, which the compiler lowers
//! to SSE2/NEON); x86-64 CPUs with AVX2 take a 32-byte kernel selected at run time. Prebuilt npm
//! binaries must run on any x86-64, so the build never assumes a CPU feature (no
//! `target-cpu=native`); the check is cached after the first call.

/// Below this many bytes the dispatch costs more than the SIMD kernel saves.
const SIMD_THRESHOLD: usize = 64;

/// `buf[i] ^= key[i & 3]` for every byte, in place.
#[inline]
pub fn unmask(buf: &mut [u8], key: [u8; 4]) {
    #[cfg(target_arch = "x86_64")]
    if buf.len() >= SIMD_THRESHOLD && x86::has_avx2() {
        // SAFETY: AVX2 support was just checked.
        unsafe { x86::unmask_avx2(buf, key) };
        return;
    }
    unmask_words(buf, key);
}

/// `dst[i] = src[i] ^ key[i & 3]` for i in `0..src.len()`.
///
/// # Panics
/// When `dst` is shorter than `src` (callers check ranges first).
#[inline]
pub fn mask(src: &[u8], key: [u8; 4], dst: &mut [u8]) {
    let dst = &mut dst[..src.len()];
    #[cfg(target_arch = "x86_64")]
    if src.len() >= SIMD_THRESHOLD && x86::has_avx2() {
        // SAFETY: AVX2 support was just checked; lengths are equal.
        unsafe { x86::mask_avx2(src, key, dst) };
        return;
    }
    mask_words(src, key, dst);
}

/// The key repeated over a 16-byte word. Words start at multiples of 16 (≡ 0 mod 4) from the
/// start of the payload, so no rotation is ever needed.
#[inline(always)]
fn key_word(key: [u8; 4]) -> u128 {
    u128::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3], key[0], key[1], key[2],
        key[3], key[0], key[1], key[2], key[3],
    ])
}

/// Portable kernel: unaligned 16-byte words, then a byte tail.
#[inline]
fn unmask_words(buf: &mut [u8], key: [u8; 4]) {
    let k = key_word(key);
    let mut chunks = buf.chunks_exact_mut(16);
    for c in &mut chunks {
        let w = u128::from_ne_bytes((&*c).try_into().unwrap_or([0; 16])) ^ k;
        c.copy_from_slice(&w.to_ne_bytes());
    }
    // The tail starts at a multiple of 16, so its key phase is 0.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// Portable kernel for separate source and destination.
#[inline]
fn mask_words(src: &[u8], key: [u8; 4], dst: &mut [u8]) {
    let k = key_word(key);
    let mut s = src.chunks_exact(16);
    let mut d = dst.chunks_exact_mut(16);
    for (sc, dc) in (&mut s).zip(&mut d) {
        let w = u128::from_ne_bytes(sc.try_into().unwrap_or([0; 16])) ^ k;
        dc.copy_from_slice(&w.to_ne_bytes());
    }
    for (i, (sb, db)) in s.remainder().iter().zip(d.into_remainder()).enumerate() {
        *db = sb ^ key[i & 3];
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{
        __m256i, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_storeu_si256, _mm256_xor_si256,
    };
    use core::sync::atomic::{AtomicU8, Ordering};

    /// 0 = not checked yet, 1 = no AVX2, 2 = AVX2.
    static AVX2: AtomicU8 = AtomicU8::new(0);

    #[inline]
    pub(super) fn has_avx2() -> bool {
        match AVX2.load(Ordering::Relaxed) {
            0 => {
                let yes = std::is_x86_feature_detected!("avx2");
                AVX2.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
                yes
            }
            v => v == 2,
        }
    }

    /// The key in every 32-bit lane. Safe to call only from code that itself runs with AVX2 (the
    /// kernels below): the attribute makes the compiler check that, and lets it inline.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(key: [u8; 4]) -> __m256i {
        _mm256_set1_epi32(i32::from_ne_bytes(key))
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn unmask_avx2(buf: &mut [u8], key: [u8; 4]) {
        let k = splat(key);
        let len = buf.len();
        let p = buf.as_mut_ptr();
        let mut i = 0;
        // SAFETY: every access is within `buf` (i + 128 <= len, i + 32 <= len); unaligned
        // loads/stores have no alignment requirement.
        unsafe {
            while i + 128 <= len {
                let a = _mm256_loadu_si256(p.add(i).cast());
                let b = _mm256_loadu_si256(p.add(i + 32).cast());
                let c = _mm256_loadu_si256(p.add(i + 64).cast());
                let d = _mm256_loadu_si256(p.add(i + 96).cast());
                _mm256_storeu_si256(p.add(i).cast(), _mm256_xor_si256(a, k));
                _mm256_storeu_si256(p.add(i + 32).cast(), _mm256_xor_si256(b, k));
                _mm256_storeu_si256(p.add(i + 64).cast(), _mm256_xor_si256(c, k));
                _mm256_storeu_si256(p.add(i + 96).cast(), _mm256_xor_si256(d, k));
                i += 128;
            }
            while i + 32 <= len {
                let a = _mm256_loadu_si256(p.add(i).cast());
                _mm256_storeu_si256(p.add(i).cast(), _mm256_xor_si256(a, k));
                i += 32;
            }
        }
        // i is a multiple of 32, so the key phase of the tail is 0.
        super::unmask_words(&mut buf[i..], key);
    }

    /// # Safety
    /// The CPU must support AVX2, and `dst.len() == src.len()`.
    ///
    /// The destination is aligned to 32 bytes first (a few head bytes with the plain key, then the key
    /// rotated by the head length): a frame's payload sits 6/8/14 bytes into its buffer, and unaligned
    /// 32-byte stores split across cache lines every other store.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn mask_avx2(src: &[u8], key: [u8; 4], dst: &mut [u8]) {
        let len = src.len().min(dst.len());
        let head = ((32 - (dst.as_ptr() as usize & 31)) & 31).min(len);
        for i in 0..head {
            dst[i] = src[i] ^ key[i & 3];
        }
        let key = [key[head & 3], key[(head + 1) & 3], key[(head + 2) & 3], key[(head + 3) & 3]];
        let k = splat(key);
        let s = src[head..len].as_ptr();
        let d = dst[head..len].as_mut_ptr();
        let n = len - head;
        let mut i = 0;
        // SAFETY: every access is within both slices (i + 128 <= n, i + 32 <= n past `head`).
        unsafe {
            while i + 128 <= n {
                let a = _mm256_loadu_si256(s.add(i).cast());
                let b = _mm256_loadu_si256(s.add(i + 32).cast());
                let c = _mm256_loadu_si256(s.add(i + 64).cast());
                let e = _mm256_loadu_si256(s.add(i + 96).cast());
                _mm256_storeu_si256(d.add(i).cast(), _mm256_xor_si256(a, k));
                _mm256_storeu_si256(d.add(i + 32).cast(), _mm256_xor_si256(b, k));
                _mm256_storeu_si256(d.add(i + 64).cast(), _mm256_xor_si256(c, k));
                _mm256_storeu_si256(d.add(i + 96).cast(), _mm256_xor_si256(e, k));
                i += 128;
            }
            while i + 32 <= n {
                let a = _mm256_loadu_si256(s.add(i).cast());
                _mm256_storeu_si256(d.add(i).cast(), _mm256_xor_si256(a, k));
                i += 32;
            }
        }
        // i is a multiple of 32, so the tail's phase is that of the rotated key.
        super::mask_words(&src[head + i..len], key, &mut dst[head + i..len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::XorShift;

    fn naive(src: &[u8], key: [u8; 4]) -> Vec<u8> {
        src.iter().enumerate().map(|(i, b)| b ^ key[i & 3]).collect()
    }

    const KEYS: [[u8; 4]; 3] = [[0x6d, 0xb6, 0xb2, 0x80], [0xff, 0, 0xff, 0], [1, 2, 3, 4]];

    #[test]
    fn unmask_matches_naive_at_every_length_and_alignment() {
        let mut rng = XorShift::new(1);
        for key in KEYS {
            for len in 0..=300 {
                for align in 0..=3 {
                    let mut storage = vec![0u8; len + align];
                    rng.fill(&mut storage);
                    let orig = storage[align..].to_vec();
                    unmask(&mut storage[align..], key);
                    assert_eq!(storage[align..], naive(&orig, key), "len {len} align {align}");
                    unmask_words(&mut storage[align..], key);
                    assert_eq!(storage[align..], orig[..], "portable round trip {len}/{align}");
                }
            }
        }
    }

    #[test]
    fn mask_matches_naive_at_every_length_and_alignment() {
        let mut rng = XorShift::new(2);
        for key in KEYS {
            for len in 0..=300 {
                for sa in 0..=3 {
                    for da in 0..=3 {
                        let mut src = vec![0u8; len + sa];
                        rng.fill(&mut src);
                        let mut dst = vec![0xaau8; len + da + 1];
                        mask(&src[sa..], key, &mut dst[da..]);
                        assert_eq!(dst[da..da + len], naive(&src[sa..], key), "{len}/{sa}/{da}");
                        assert_eq!(dst[da + len], 0xaa, "wrote past the end");
                        let mut dst2 = vec![0u8; len];
                        mask_words(&src[sa..], key, &mut dst2);
                        assert_eq!(dst2, naive(&src[sa..], key));
                    }
                }
            }
        }
    }

    #[test]
    fn random_large_buffers() {
        let mut rng = XorShift::new(3);
        for _ in 0..50 {
            let len = (rng.next() % 70_000) as usize;
            let key = (rng.next() as u32).to_ne_bytes();
            let mut buf = vec![0u8; len];
            rng.fill(&mut buf);
            let want = naive(&buf, key);
            let mut out = vec![0u8; len];
            mask(&buf, key, &mut out);
            assert_eq!(out, want);
            unmask(&mut buf, key);
            assert_eq!(buf, want);
        }
    }
}
