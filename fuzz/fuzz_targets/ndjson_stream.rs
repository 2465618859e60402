//! The NDJSON / JSON-array batch reader: any stream gives per-item results, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsindex::ingest::read_stream;

fuzz_target!(|data: &[u8]| {
    let mut items = 0usize;
    let _ = read_stream(data, &mut |r| {
        items += 1;
        if let Err(e) = r {
            assert!(e.line >= 1);
        }
    });
});
