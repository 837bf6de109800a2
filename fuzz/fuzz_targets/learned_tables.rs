#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    netcensus::fuzzing::learned_tables(data);
});
