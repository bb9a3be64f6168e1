#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrosocket_core_fuzz::text_message(data));
