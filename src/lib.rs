//! netcensus: network device inventory and health scanner.
//!
//! Data flows one way: targets → probe → collect → classify → model → diff
//! → report. This library never prints; the binary's `ui` does.

pub mod baseline;
pub mod classify;
pub mod collect;
pub mod diff;
pub mod enterprises;
pub mod error;
pub mod event;
pub mod lock;
pub mod model;
pub mod oid;
pub mod output;
pub mod probe;
pub mod profile;
pub mod report;
pub mod scan;
pub mod scanfile;
pub mod settings;
pub mod source;
pub mod targets;
pub mod topology;
pub mod vocab;

#[cfg(test)]
mod edge_tests;
