#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netcensus::fuzzing::snmp_reply(data));
