//! Frame headers (RFC 6455 §5.2): incremental parsing and minimal encoding.
//!
//! Parsing is incremental in tungstenite's shape: with too few bytes it reports "need more"
//! (`Ok(None)`) and consumes nothing. The rules that only need the first two bytes run before the
//! extended length is looked at, so hostile headers fail as early as possible.

use crate::ProtocolError;

/// Longest possible header: 2 + 8 (64-bit length) + 4 (masking key).
pub const MAX_HEADER_LEN: usize = 14;
/// Largest payload length exactly representable as a JS number (2^53 - 1).
pub const MAX_SAFE_LENGTH: u64 = (1 << 53) - 1;

/// FIN bit of the first header byte.
pub const FIN: u8 = 0x80;
/// RSV1 bit of the first header byte (permessage-deflate's "compressed" flag).
pub const RSV1: u8 = 0x40;
/// MASK bit of the second header byte.
pub const MASK: u8 = 0x80;

/// A parsed, validated frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// The first header byte: FIN<<7 | RSV1<<6 | RSV2<<5 | RSV3<<4 | opcode.
    pub bits: u8,
    /// Whether the MASK bit was set.
    pub masked: bool,
    /// Payload length in bytes (< 2^53).
    pub payload_len: u64,
    /// The masking key, zeros when unmasked.
    pub mask_key: [u8; 4],
    /// Header length in bytes (2..=14); the payload starts there.
    pub header_len: usize,
}

impl FrameHeader {
    /// Whether this is the last frame of its message.
    pub fn fin(&self) -> bool {
        self.bits & FIN != 0
    }
    /// The opcode (low 4 bits of the first byte).
    pub fn opcode(&self) -> u8 {
        self.bits & 0x0f
    }
    /// Whether this is a control frame (close, ping, pong).
    pub fn is_control(&self) -> bool {
        self.bits & 0x08 != 0
    }
}

/// Whether `opcode` is a control opcode (§5.5).
#[inline]
pub fn is_control(opcode: u8) -> bool {
    opcode & 0x08 != 0
}

/// Total header length implied by the second header byte (2..=14).
#[inline]
pub fn header_len(b1: u8) -> usize {
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & MASK != 0 { 4 } else { 0 }
}

/// The header checks that need only the first two bytes, in contract order: reserved bits,
/// reserved opcode, fragmented control frame, control frame too big, mask bit.
#[inline]
pub fn check_first_bytes(
    b0: u8,
    b1: u8,
    expect_masked: bool,
    allow_rsv1: bool,
) -> Result<(), ProtocolError> {
    let opcode = b0 & 0x0f;
    let rsv1_ok = allow_rsv1 && (opcode == 1 || opcode == 2);
    if b0 & 0x30 != 0 || (b0 & RSV1 != 0 && !rsv1_ok) {
        return Err(ProtocolError::ReservedBitsSet);
    }
    if matches!(opcode, 0x3..=0x7 | 0xb..=0xf) {
        return Err(ProtocolError::ReservedOpcode);
    }
    if is_control(opcode) {
        if b0 & FIN == 0 {
            return Err(ProtocolError::FragmentedControlFrame);
        }
        if b1 & 0x7f > 125 {
            return Err(ProtocolError::ControlFrameTooBig);
        }
    }
    match (b1 & MASK != 0, expect_masked) {
        (false, true) => Err(ProtocolError::UnmaskedClientFrame),
        (true, false) => Err(ProtocolError::MaskedServerFrame),
        _ => Ok(()),
    }
}

/// The payload length, once its extended bytes are in `buf` (which starts at the frame's first
/// byte and holds at least 2 bytes); `Ok(None)` when they are not there yet.
#[inline]
pub fn read_payload_len(buf: &[u8]) -> Result<Option<u64>, ProtocolError> {
    match buf[1] & 0x7f {
        126 => Ok(buf.get(2..4).map(|b| u64::from(u16::from_be_bytes([b[0], b[1]])))),
        127 => {
            let Some(b) = buf.get(2..10) else { return Ok(None) };
            let mut be = [0u8; 8];
            be.copy_from_slice(b);
            let len = u64::from_be_bytes(be);
            if len >> 63 != 0 {
                Err(ProtocolError::InvalidLength)
            } else if len > MAX_SAFE_LENGTH {
                Err(ProtocolError::UnsupportedLength)
            } else {
                Ok(Some(len))
            }
        }
        n => Ok(Some(u64::from(n))),
    }
}

/// Parse one header without message state or size limits (checks 1–5 and 7 of the contract).
/// `Ok(None)` means more bytes are needed; nothing is consumed.
pub fn parse_header(
    buf: &[u8],
    expect_masked: bool,
    allow_rsv1: bool,
) -> Result<Option<FrameHeader>, ProtocolError> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    check_first_bytes(b0, b1, expect_masked, allow_rsv1)?;
    let Some(payload_len) = read_payload_len(buf)? else { return Ok(None) };
    let header_len = header_len(b1);
    let Some(head) = buf.get(..header_len) else { return Ok(None) };
    let masked = b1 & MASK != 0;
    let mut mask_key = [0u8; 4];
    if masked {
        mask_key.copy_from_slice(&head[header_len - 4..]);
    }
    Ok(Some(FrameHeader { bits: b0, masked, payload_len, mask_key, header_len }))
}

/// Length of the header `encode_header` writes for these arguments.
#[inline]
pub fn encoded_header_len(payload_len: u64, masked: bool) -> usize {
    let ext = if payload_len < 126 {
        0
    } else if payload_len <= 0xffff {
        2
    } else {
        8
    };
    2 + ext + if masked { 4 } else { 0 }
}

/// Write a header with the minimal length encoding (§5.2) at the start of `out`. `bits` is the first
/// byte; `mask_key` sets the MASK bit and appends the key. Returns the header length, or `None`
/// when `out` is too small (nothing is written then).
pub fn encode_header(
    out: &mut [u8],
    bits: u8,
    payload_len: u64,
    mask_key: Option<[u8; 4]>,
) -> Option<usize> {
    let n = encoded_header_len(payload_len, mask_key.is_some());
    let out = out.get_mut(..n)?;
    let mask_bit = if mask_key.is_some() { MASK } else { 0 };
    out[0] = bits;
    let at = if payload_len < 126 {
        out[1] = mask_bit | payload_len as u8;
        2
    } else if payload_len <= 0xffff {
        out[1] = mask_bit | 126;
        out[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        4
    } else {
        out[1] = mask_bit | 127;
        out[2..10].copy_from_slice(&payload_len.to_be_bytes());
        10
    };
    if let Some(key) = mask_key {
        out[at..at + 4].copy_from_slice(&key);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtocolError::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn round_trips_edge_lengths() {
        let lens = [0, 1, 125, 126, 127, 65535, 65536, 1 << 32, MAX_SAFE_LENGTH];
        for len in lens {
            for key in [None, Some([1, 2, 3, 4])] {
                let mut out = [0u8; MAX_HEADER_LEN];
                let n = encode_header(&mut out, 0x82, len, key).unwrap();
                assert_eq!(n, encoded_header_len(len, key.is_some()));
                let want_ext = match len {
                    0..=125 => 0,
                    126..=65535 => 2,
                    _ => 8,
                };
                assert_eq!(n, 2 + want_ext + if key.is_some() { 4 } else { 0 });
                let h = parse_header(&out[..n], key.is_some(), false).unwrap().unwrap();
                assert_eq!(h.payload_len, len);
                assert_eq!(h.header_len, n);
                assert_eq!(h.mask_key, key.unwrap_or([0; 4]));
                assert_eq!(h.bits, 0x82);
                // Need-more at every shorter prefix, never an error.
                for cut in 0..n {
                    assert_eq!(parse_header(&out[..cut], key.is_some(), false), Ok(None));
                }
                // Too small an output: nothing written.
                let mut small = vec![0xeeu8; n - 1];
                assert_eq!(encode_header(&mut small, 0x82, len, key), None);
                assert!(small.iter().all(|&b| b == 0xee));
            }
        }
    }

    #[test]
    fn exact_wire_bytes() {
        let mut out = [0u8; 14];
        let n = encode_header(&mut out, 0x81, 5, None).unwrap();
        assert_eq!(out[..n], hex("8105")[..]);
        let n = encode_header(&mut out, 0x82, 126, Some([0x37, 0xfa, 0x21, 0x3d])).unwrap();
        assert_eq!(out[..n], hex("82fe007e37fa213d")[..]);
        let n = encode_header(&mut out, 0x02, 65536, None).unwrap();
        assert_eq!(out[..n], hex("027f0000000000010000")[..]);
    }

    #[test]
    fn sixty_four_bit_lengths() {
        let frame = |len: u64| {
            let mut v = hex("827f");
            v.extend_from_slice(&len.to_be_bytes());
            v
        };
        assert_eq!(parse_header(&frame(1 << 63), false, false), Err(InvalidLength));
        assert_eq!(parse_header(&frame(u64::MAX), false, false), Err(InvalidLength));
        assert_eq!(parse_header(&frame(1 << 53), false, false), Err(UnsupportedLength));
        assert_eq!(
            parse_header(&frame(MAX_SAFE_LENGTH), false, false).unwrap().unwrap().payload_len,
            MAX_SAFE_LENGTH
        );
        // The length check needs all 8 length bytes.
        assert_eq!(parse_header(&frame(1 << 63)[..9], false, false), Ok(None));
    }

    #[test]
    fn first_two_byte_checks_in_order() {
        let cases: [(&str, bool, bool, Result<(), ProtocolError>); 18] = [
            ("8180", true, false, Ok(())),
            ("c180", true, false, Err(ReservedBitsSet)),
            ("c180", true, true, Ok(())),
            ("c280", true, true, Ok(())),
            ("c080", true, true, Err(ReservedBitsSet)), // RSV1 on a continuation
            ("c980", true, true, Err(ReservedBitsSet)), // RSV1 on a ping
            ("a180", true, true, Err(ReservedBitsSet)), // RSV2
            ("9180", true, true, Err(ReservedBitsSet)), // RSV3
            ("b380", true, false, Err(ReservedBitsSet)), // reserved bits before opcode
            ("8380", true, false, Err(ReservedOpcode)),
            ("8f80", true, false, Err(ReservedOpcode)),
            ("0b80", true, false, Err(ReservedOpcode)), // opcode before FIN rule
            ("0980", true, false, Err(FragmentedControlFrame)),
            ("09fe", true, false, Err(FragmentedControlFrame)), // FIN before size
            ("89fe", true, false, Err(ControlFrameTooBig)),
            ("897e", true, false, Err(ControlFrameTooBig)), // size before mask bit
            ("8101", true, false, Err(UnmaskedClientFrame)),
            ("8181", false, false, Err(MaskedServerFrame)),
        ];
        for (h, masked, rsv1, want) in cases {
            let b = hex(h);
            assert_eq!(check_first_bytes(b[0], b[1], masked, rsv1), want, "{h}");
            // The same verdict from just the two bytes of parse_header.
            assert_eq!(parse_header(&b, masked, rsv1).map(|_| ()), want, "{h}");
        }
        assert_eq!(check_first_bytes(0x89, 0xfd, true, false), Ok(()));
    }
}
