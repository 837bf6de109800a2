//! netcensus: network device inventory and health scanner.
//!
//! Data flows one way: targets → probe → collect → classify → model → diff
//! → report. This library never prints; the binary's `ui` does.
//!
//! The modules are private: what the binary, the integration tests and the
//! benchmarks use is re-exported below, by stage, so the surface a change
//! can break is the list on this page (see ARCHITECTURE.md).

mod baseline;
mod classify;
mod collect;
mod config;
mod diff;
mod enterprises;
mod error;
mod event;
mod history;
mod identity;
mod judge;
mod lock;
mod map;
mod model;
mod oid;
mod oui;
mod output;
mod pairing;
mod privilege;
mod probe;
mod profile;
mod report;
mod scan;
mod scanfile;
mod secret;
mod settings;
mod source;
mod targets;
mod topology;
mod vocab;

#[cfg(test)]
mod edge_tests;

/// Entry points of the fuzz targets (`fuzz/`); not an API.
#[doc(hidden)]
pub mod fuzzing;

// Errors and exit codes.
pub use error::{Error, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE};

// The scan file: its model, reading, writing, baselines.
pub use baseline::save as save_baseline;
pub use baseline::{Guard as BaselineGuard, Limit as RemovedLimit};
pub use history::{check_dir as check_history_dir, keep as keep_history, Kept, Retention};
pub use history::{timeline as history_timeline, Timeline, Track, LATEST};
pub use lock::{
    acquire as lock_baseline, check_distinct as check_lock_path, path_for as baseline_lock_path,
};
pub use model::{Device, ScanFile};
pub use output::{check_writable, write_atomic, write_atomic_with};
pub use scanfile::load as load_scan_file;
pub use scanfile::to_json;
pub use vocab::{DeviceField, HealthCheck, HealthLevel, Role};

// Running a scan: targets, settings, profiles, progress.
pub use config::{load as load_config, locate as locate_config, Config, CredentialSet, Job};
pub use event::{Cancel, Event, Events, Phase};
pub use privilege::{account, become_account, is_root, threads, Account, Identity};
pub use probe::agent::{UsmAuth, UsmPriv};
pub use probe::credential::Scope;
pub use profile::{Profiles, ScanProfile, SnmpSweep, BUILTIN_SCAN_PROFILES};
pub use scan::{preopen_sockets, run as run_scan};
pub use secret::Secret;
pub use settings::{
    resolve as resolve_settings, CrawlRequest, Overrides, Request, RunFiles, Settings, UsmRequest,
};
pub use targets::{arg_tokens, read_targets_file, Token};

// Classification and device knowledge.
pub use classify::examples::{coverage, evidence, load_checked as load_profiles, verify, Depth};
pub use classify::{classify, Evidence};
pub use enterprises::REGISTRY_DATE;
pub use oui::{vendor as oui_vendor, OUI_REGISTRY_DATE};

// Drift, topology checks, reports.
pub use diff::{diff, parse_kinds, Diff, Kind as DriftKind, Rules as DriftRules};
pub use report::csv::interfaces as interfaces_csv;
pub use report::explain::render as render_explain;
pub use report::history::{render as render_history, render_device as render_history_device};
pub use report::locate::{render as render_locate, Query as LocateQuery};
pub use report::prom::previous_success as prometheus_previous_success;
pub use report::text::{one_line, terminal as terminal_text};
pub use report::{prometheus as render_prometheus, render, write_json, Format, Primary, View};
pub use topology::{check as check_topology, load as load_topology, parse_toml as parse_topology};
pub use topology::{Check, Topology};
