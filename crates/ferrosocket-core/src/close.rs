//! Close frames (RFC 6455 §5.5.1, §7.4): status codes and the code + reason payload.

use crate::{utf8::is_valid_utf8, ProtocolError};

/// Code reported when a close frame carries no payload (§7.1.5); never sent on the wire.
pub const NO_STATUS_RECEIVED: u16 = 1005;
/// Largest control frame payload (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Whether `code` may appear in a close frame: 1000–1003, 1007–1014 (IANA-registered, §7.4.1/§11.7)
/// and 3000–4999 (registered and private use, §7.4.2). 1004–1006 and 1015 are reserved for local use.
#[inline]
pub fn is_valid_close_code(code: u32) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Check an (unmasked) close payload: empty, or a valid code followed by a UTF-8 reason.
#[inline]
pub fn validate_close_payload(payload: &[u8]) -> Result<(), ProtocolError> {
    decode_close_payload(payload).map(|_| ())
}

/// Decode an (unmasked) close payload into its code and reason. An empty payload gives
/// (1005, ""). Errors, in this order: 1 byte → `InvalidClosePayload`, a code that
/// `is_valid_close_code` rejects → `InvalidCloseCode`, a reason that is not UTF-8 → `InvalidUtf8`.
pub fn decode_close_payload(payload: &[u8]) -> Result<(u16, &str), ProtocolError> {
    match payload {
        [] => Ok((NO_STATUS_RECEIVED, "")),
        [_] => Err(ProtocolError::InvalidClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_close_code(u32::from(code)) {
                return Err(ProtocolError::InvalidCloseCode);
            }
            if !is_valid_utf8(reason) {
                return Err(ProtocolError::InvalidUtf8);
            }
            // SAFETY: validated as UTF-8 just above.
            Ok((code, unsafe { core::str::from_utf8_unchecked(reason) }))
        }
    }
}

/// Why `encode_close_payload` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseEncodeError {
    /// The code may not be sent (see `is_valid_close_code`).
    InvalidCode,
    /// 2 + reason bytes would exceed the 125-byte control frame limit.
    TooLong,
}

/// Encode a close payload: 2-byte big-endian code, then the UTF-8 reason.
pub fn encode_close_payload(code: u32, reason: &str) -> Result<Vec<u8>, CloseEncodeError> {
    if !is_valid_close_code(code) {
        return Err(CloseEncodeError::InvalidCode);
    }
    if 2 + reason.len() > MAX_CONTROL_PAYLOAD {
        return Err(CloseEncodeError::TooLong);
    }
    let mut v = Vec::with_capacity(2 + reason.len());
    v.extend_from_slice(&(code as u16).to_be_bytes());
    v.extend_from_slice(reason.as_bytes());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtocolError::*;

    #[test]
    fn close_code_ranges() {
        let valid: Vec<u32> = (0..70_000).filter(|&c| is_valid_close_code(c)).collect();
        let want: Vec<u32> = (1000..=1003).chain(1007..=1014).chain(3000..=4999).collect();
        assert_eq!(valid, want);
        for c in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535, u32::MAX] {
            assert!(!is_valid_close_code(c), "{c}");
        }
    }

    #[test]
    fn decode_in_error_order() {
        assert_eq!(decode_close_payload(&[]), Ok((1005, "")));
        assert_eq!(decode_close_payload(&[0x03]), Err(InvalidClosePayload));
        assert_eq!(decode_close_payload(&[0x03, 0xe8]), Ok((1000, "")));
        assert_eq!(decode_close_payload(b"\x03\xe8bye"), Ok((1000, "bye")));
        assert_eq!(decode_close_payload(b"\x0f\x9f\xce\xba"), Ok((3999, "κ")));
        assert_eq!(decode_close_payload(&[0x03, 0xed]), Err(InvalidCloseCode)); // 1005
        assert_eq!(decode_close_payload(&[0x03, 0xed, 0xff]), Err(InvalidCloseCode)); // code first
        assert_eq!(decode_close_payload(&[0x03, 0xe8, 0xff]), Err(InvalidUtf8));
        assert_eq!(decode_close_payload(&[0x03, 0xe8, 0xce]), Err(InvalidUtf8));
    }

    #[test]
    fn encode() {
        assert_eq!(encode_close_payload(1000, ""), Ok(vec![0x03, 0xe8]));
        assert_eq!(encode_close_payload(4999, "ok"), Ok(vec![0x13, 0x87, b'o', b'k']));
        assert_eq!(encode_close_payload(1005, ""), Err(CloseEncodeError::InvalidCode));
        assert_eq!(encode_close_payload(70_000 + 1000, ""), Err(CloseEncodeError::InvalidCode));
        let r123 = "x".repeat(123);
        assert_eq!(encode_close_payload(1000, &r123).unwrap().len(), 125);
        assert_eq!(encode_close_payload(1000, &"x".repeat(124)), Err(CloseEncodeError::TooLong));
        let enc = encode_close_payload(1001, "é").unwrap();
        assert_eq!(decode_close_payload(&enc), Ok((1001, "é")));
    }
}
