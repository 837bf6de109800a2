//! One function per subcommand: the only place that composes pipeline
//! stages with inputs and outputs.

pub mod baseline;
pub mod check;
pub mod diff;
pub mod explain;
pub mod profiles;
pub mod scan;
