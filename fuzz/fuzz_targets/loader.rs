//! The scenario loader on arbitrary bytes: the file up to the first NUL
//! byte, then NUL-separated `--set` arguments. See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/loader_check/mod.rs"]
mod loader_check;

fuzz_target!(|data: &[u8]| {
    loader_check::check_input(data);
});
