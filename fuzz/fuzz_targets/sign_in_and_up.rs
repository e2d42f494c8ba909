//! Arbitrary bytes as sign-in and sign-up bodies, form-encoded and JSON,
//! through the handlers' parsers and the domain's: nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| latch_http::fuzzing::sign_in_and_up(data));
