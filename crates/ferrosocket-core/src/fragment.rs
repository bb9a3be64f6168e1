//! Outgoing messages (RFC 6455 §5.4): WebSocket-Node's fragmentation — a payload longer than the
//! threshold is split into threshold-sized frames — written with all headers in one pass.

use crate::{
    header::{encode_header, encoded_header_len, FIN, RSV1},
    mask::mask,
};

/// Number of frames for a payload: 1 unless `threshold > 0 && len > threshold`, then
/// `ceil(len / threshold)`.
#[inline]
pub fn frame_count(payload_len: u64, threshold: u64) -> u64 {
    if threshold == 0 || payload_len <= threshold {
        1
    } else {
        payload_len.div_ceil(threshold)
    }
}

/// Payload length of frame `i` (0-based) of `count`.
#[inline]
fn frame_len(payload_len: u64, threshold: u64, count: u64, i: u64) -> u64 {
    if count == 1 {
        payload_len
    } else if i + 1 < count {
        threshold
    } else {
        payload_len - threshold * (count - 1)
    }
}

/// Total bytes (headers + payloads) of the encoded message.
pub fn encoded_length(payload_len: u64, threshold: u64, masked: bool) -> u64 {
    let count = frame_count(payload_len, threshold);
    if count == 1 {
        return encoded_header_len(payload_len, masked) as u64 + payload_len;
    }
    // All frames but the last have the same header length.
    let last = frame_len(payload_len, threshold, count, count - 1);
    (count - 1) * (encoded_header_len(threshold, masked) as u64 + threshold)
        + encoded_header_len(last, masked) as u64
        + last
}

/// Why `encode_message` refused (nothing is written then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// `out` has fewer bytes than `encoded_length`.
    OutputTooSmall,
    /// `mask_keys` has fewer than 4 bytes per frame.
    NotEnoughMaskKeys,
}

/// Write all frames of a message into `out`: the first with `opcode` (and RSV1 when `rsv1`), the
/// others continuation frames, FIN on the last; frame `i` is masked with `mask_keys[4i..4i+4]`
/// when keys are given. Returns the bytes written (= `encoded_length`).
pub fn encode_message(
    payload: &[u8],
    opcode: u8,
    rsv1: bool,
    threshold: u64,
    mask_keys: Option<&[u8]>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let len = payload.len() as u64;
    let count = frame_count(len, threshold);
    let total = encoded_length(len, threshold, mask_keys.is_some());
    if (out.len() as u64) < total {
        return Err(EncodeError::OutputTooSmall);
    }
    if let Some(keys) = mask_keys {
        if (keys.len() as u64) < 4 * count {
            return Err(EncodeError::NotEnoughMaskKeys);
        }
    }
    let mut at = 0;
    let mut src = 0;
    for i in 0..count {
        let n = frame_len(len, threshold, count, i) as usize;
        let mut bits = if i == 0 { opcode & 0x0f } else { 0 };
        if i == 0 && rsv1 {
            bits |= RSV1;
        }
        if i + 1 == count {
            bits |= FIN;
        }
        let key = mask_keys.map(|k| {
            let j = 4 * i as usize;
            [k[j], k[j + 1], k[j + 2], k[j + 3]]
        });
        at += encode_header(&mut out[at..], bits, n as u64, key)
            .ok_or(EncodeError::OutputTooSmall)?;
        let chunk = &payload[src..src + n];
        let dst = &mut out[at..at + n];
        match key {
            Some(k) => mask(chunk, k, dst),
            None => dst.copy_from_slice(chunk),
        }
        at += n;
        src += n;
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{header::parse_header, test_util::XorShift};

    /// Reference: split naively and encode each frame by hand.
    fn naive(
        payload: &[u8],
        opcode: u8,
        rsv1: bool,
        threshold: usize,
        keys: Option<&[u8]>,
    ) -> Vec<u8> {
        let chunks: Vec<&[u8]> = if threshold == 0 || payload.len() <= threshold {
            vec![payload]
        } else {
            payload.chunks(threshold).collect()
        };
        let mut v = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let mut b0 = if i == 0 { opcode } else { 0 };
            if i == 0 && rsv1 {
                b0 |= 0x40;
            }
            if i + 1 == chunks.len() {
                b0 |= 0x80;
            }
            v.push(b0);
            let m = if keys.is_some() { 0x80 } else { 0 };
            if c.len() < 126 {
                v.push(m | c.len() as u8);
            } else if c.len() < 65536 {
                v.push(m | 126);
                v.extend_from_slice(&(c.len() as u16).to_be_bytes());
            } else {
                v.push(m | 127);
                v.extend_from_slice(&(c.len() as u64).to_be_bytes());
            }
            match keys {
                Some(k) => {
                    let k = &k[4 * i..4 * i + 4];
                    v.extend_from_slice(k);
                    v.extend(c.iter().enumerate().map(|(j, b)| b ^ k[j & 3]));
                }
                None => v.extend_from_slice(c),
            }
        }
        v
    }

    #[test]
    fn frame_counts() {
        assert_eq!(frame_count(0, 0), 1);
        assert_eq!(frame_count(0, 10), 1);
        assert_eq!(frame_count(10, 10), 1);
        assert_eq!(frame_count(11, 10), 2);
        assert_eq!(frame_count(30, 10), 3);
        assert_eq!(frame_count(1 << 40, 0), 1);
    }

    #[test]
    fn matches_naive_for_small_payloads_and_thresholds() {
        let mut rng = XorShift::new(5);
        let mut keys = vec![0u8; 4 * 70];
        rng.fill(&mut keys);
        for len in 0..=64 {
            let mut payload = vec![0u8; len];
            rng.fill(&mut payload);
            for threshold in [0, 1, 2, 3, 7, 16, 63, 64, 65] {
                for (opcode, rsv1) in [(1, false), (2, true)] {
                    for k in [None, Some(&keys[..])] {
                        let want = naive(&payload, opcode, rsv1, threshold, k);
                        let n = encoded_length(len as u64, threshold as u64, k.is_some());
                        assert_eq!(n as usize, want.len());
                        let mut out = vec![0u8; want.len() + 3];
                        let w = encode_message(
                            &payload,
                            opcode,
                            rsv1,
                            threshold as u64,
                            k,
                            &mut out[3..],
                        );
                        assert_eq!(w, Ok(want.len()));
                        assert_eq!(out[3..], want[..], "len {len} t {threshold}");
                        assert_eq!(
                            encode_message(
                                &payload,
                                opcode,
                                rsv1,
                                threshold as u64,
                                k,
                                &mut out[..want.len() - 1]
                            ),
                            Err(EncodeError::OutputTooSmall)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn large_frames_use_extended_lengths() {
        let payload = vec![7u8; 70_000];
        let keys = [9u8; 8];
        let mut out = vec![0u8; encoded_length(70_000, 65_536, true) as usize];
        assert_eq!(out.len(), 14 + 65_536 + 8 + (70_000 - 65_536));
        let n = encode_message(&payload, 2, false, 65_536, Some(&keys), &mut out).unwrap();
        assert_eq!(n, out.len());
        assert_eq!(out, naive(&payload, 2, false, 65_536, Some(&keys)));
        let h = parse_header(&out, true, false).unwrap().unwrap();
        assert_eq!((h.bits, h.payload_len, h.header_len), (0x02, 65_536, 14));
        assert_eq!(
            encode_message(&payload, 2, false, 65_536, Some(&keys[..7]), &mut out),
            Err(EncodeError::NotEnoughMaskKeys)
        );
    }
}
