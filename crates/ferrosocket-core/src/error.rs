//! Protocol errors: one variant per RFC 6455 rule the parser enforces.
//!
//! The numbers, stable string codes and close codes are shared with the TypeScript codec
//! (`ErrorCode` / `ERROR_TABLE` in `ts/codec/types.ts`); the parity tests hold them equal.

use core::fmt;

/// Why a frame (or a close payload) was rejected. `as u8` gives the shared `ErrorCode` number.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolError {
    /// RSV1/2/3 set without a negotiated extension that defines them (§5.2).
    ReservedBitsSet = 1,
    /// Opcode 0x3–0x7 or 0xB–0xF (§5.2).
    ReservedOpcode = 2,
    /// Control frame payload longer than 125 bytes (§5.5).
    ControlFrameTooBig = 3,
    /// Control frame without FIN (§5.5).
    FragmentedControlFrame = 4,
    /// A client sent a frame without the mask bit (§5.1).
    UnmaskedClientFrame = 5,
    /// A server sent a masked frame (§5.1).
    MaskedServerFrame = 6,
    /// 64-bit payload length with the most significant bit set (§5.2).
    InvalidLength = 7,
    /// Frame payload above `maxFrameSize`.
    FrameTooBig = 8,
    /// Message payload above `maxMessageSize`.
    MessageTooBig = 9,
    /// Continuation frame with no fragmented message in progress (§5.4).
    UnexpectedContinuation = 10,
    /// Text/binary frame while a fragmented message is in progress (§5.4).
    ExpectedContinuation = 11,
    /// Text payload or close reason that is not valid UTF-8 (§8.1).
    InvalidUtf8 = 12,
    /// Close code not allowed on the wire (§7.4).
    InvalidCloseCode = 13,
    /// Close payload of exactly 1 byte (§5.5.1).
    InvalidClosePayload = 14,
    /// More fragments in one message than `maxFragments`.
    TooManyFragments = 15,
    /// 64-bit length ≥ 2^53: not exactly representable in JS, and no sane limit allows it.
    UnsupportedLength = 16,
}

impl ProtocolError {
    /// Every variant, in `ErrorCode` order (index + 1 = number).
    pub const ALL: [ProtocolError; 16] = [
        Self::ReservedBitsSet,
        Self::ReservedOpcode,
        Self::ControlFrameTooBig,
        Self::FragmentedControlFrame,
        Self::UnmaskedClientFrame,
        Self::MaskedServerFrame,
        Self::InvalidLength,
        Self::FrameTooBig,
        Self::MessageTooBig,
        Self::UnexpectedContinuation,
        Self::ExpectedContinuation,
        Self::InvalidUtf8,
        Self::InvalidCloseCode,
        Self::InvalidClosePayload,
        Self::TooManyFragments,
        Self::UnsupportedLength,
    ];

    /// The stable string code (`FERROSOCKET_ERR_…`), as in `ERROR_TABLE`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ReservedBitsSet => "FERROSOCKET_ERR_RESERVED_BITS",
            Self::ReservedOpcode => "FERROSOCKET_ERR_RESERVED_OPCODE",
            Self::ControlFrameTooBig => "FERROSOCKET_ERR_CONTROL_FRAME_TOO_BIG",
            Self::FragmentedControlFrame => "FERROSOCKET_ERR_FRAGMENTED_CONTROL_FRAME",
            Self::UnmaskedClientFrame => "FERROSOCKET_ERR_UNMASKED_CLIENT_FRAME",
            Self::MaskedServerFrame => "FERROSOCKET_ERR_MASKED_SERVER_FRAME",
            Self::InvalidLength => "FERROSOCKET_ERR_INVALID_LENGTH",
            Self::FrameTooBig => "FERROSOCKET_ERR_FRAME_TOO_BIG",
            Self::MessageTooBig => "FERROSOCKET_ERR_MESSAGE_TOO_BIG",
            Self::UnexpectedContinuation => "FERROSOCKET_ERR_UNEXPECTED_CONTINUATION",
            Self::ExpectedContinuation => "FERROSOCKET_ERR_EXPECTED_CONTINUATION",
            Self::InvalidUtf8 => "FERROSOCKET_ERR_INVALID_UTF8",
            Self::InvalidCloseCode => "FERROSOCKET_ERR_INVALID_CLOSE_CODE",
            Self::InvalidClosePayload => "FERROSOCKET_ERR_INVALID_CLOSE_PAYLOAD",
            Self::TooManyFragments => "FERROSOCKET_ERR_TOO_MANY_FRAGMENTS",
            Self::UnsupportedLength => "FERROSOCKET_ERR_UNSUPPORTED_LENGTH",
        }
    }

    /// The close code to send when failing the connection for this error (§7.4.1).
    pub fn close_code(&self) -> u16 {
        match self {
            Self::FrameTooBig | Self::MessageTooBig | Self::UnsupportedLength => 1009,
            Self::InvalidUtf8 => 1007,
            Self::TooManyFragments => 1008,
            _ => 1002,
        }
    }

    /// The variant with this `ErrorCode` number, if any (0 = no error is `None`).
    pub fn from_u8(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).wrapping_sub(1)).copied()
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mirror of `ERROR_TABLE` in ts/codec/types.ts (index = ErrorCode).
    const TABLE: [(&str, u16); 17] = [
        ("FERROSOCKET_ERR_NONE", 1000),
        ("FERROSOCKET_ERR_RESERVED_BITS", 1002),
        ("FERROSOCKET_ERR_RESERVED_OPCODE", 1002),
        ("FERROSOCKET_ERR_CONTROL_FRAME_TOO_BIG", 1002),
        ("FERROSOCKET_ERR_FRAGMENTED_CONTROL_FRAME", 1002),
        ("FERROSOCKET_ERR_UNMASKED_CLIENT_FRAME", 1002),
        ("FERROSOCKET_ERR_MASKED_SERVER_FRAME", 1002),
        ("FERROSOCKET_ERR_INVALID_LENGTH", 1002),
        ("FERROSOCKET_ERR_FRAME_TOO_BIG", 1009),
        ("FERROSOCKET_ERR_MESSAGE_TOO_BIG", 1009),
        ("FERROSOCKET_ERR_UNEXPECTED_CONTINUATION", 1002),
        ("FERROSOCKET_ERR_EXPECTED_CONTINUATION", 1002),
        ("FERROSOCKET_ERR_INVALID_UTF8", 1007),
        ("FERROSOCKET_ERR_INVALID_CLOSE_CODE", 1002),
        ("FERROSOCKET_ERR_INVALID_CLOSE_PAYLOAD", 1002),
        ("FERROSOCKET_ERR_TOO_MANY_FRAGMENTS", 1008),
        ("FERROSOCKET_ERR_UNSUPPORTED_LENGTH", 1009),
    ];

    #[test]
    fn matches_the_shared_error_table() {
        assert!(ProtocolError::from_u8(0).is_none());
        assert!(ProtocolError::from_u8(17).is_none());
        for (n, &(code, close)) in TABLE.iter().enumerate().skip(1) {
            let e = ProtocolError::from_u8(n as u8).unwrap();
            assert_eq!(e as u8 as usize, n);
            assert_eq!(e.code(), code);
            assert_eq!(e.close_code(), close);
        }
    }
}
