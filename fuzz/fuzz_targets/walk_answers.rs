#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netcensus::fuzzing::walk_answers(data));
