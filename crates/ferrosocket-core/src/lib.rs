//! ferrosocket-core: the byte-level half of RFC 6455 — masking (§5.3), UTF-8 (§8.1), frame headers
//! (§5.2), batch parsing with message sequencing (§5.4, §5.5), fragmentation and close payloads
//! (§5.5.1, §7.4), and the string form of text messages (`text`: UTF-8 → Latin-1 / UTF-16 units).
//!
//! No I/O, no N-API, no allocation on the parse path: functions take slices and return numbers
//! or descriptors, so the same code serves the Node addon, the tests and fuzzers. The semantics
//! are those of the `Codec` contract in `ts/codec/types.ts`, which the TypeScript twin mirrors.

pub mod close;
pub mod error;
pub mod fragment;
pub mod header;
pub mod mask;
pub mod parse;
pub mod text;
pub mod text_message;
pub mod utf8;

#[cfg(test)]
mod test_util;

pub use close::{decode_close_payload, encode_close_payload, is_valid_close_code};
pub use error::ProtocolError;
pub use fragment::{encode_message, encoded_length, frame_count};
pub use header::{encode_header, parse_header, FrameHeader, MAX_HEADER_LEN};
pub use mask::{mask, unmask};
pub use parse::{parse_frames, ParseLimits};
pub use utf8::{is_valid_utf8, utf8_stream};
