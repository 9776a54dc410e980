//! What is recorded and measured: per-tick records, the output structs a run produces,
//! every metric's definition, the names outputs use for them (the registry),
//! concentration measures and statistics. No files here (the
//! writers are in [`crate::io`]) and no engine (the engine calls in).

pub mod accounting;
pub mod concentration;
pub mod metrics;
pub mod output;
pub mod record;
pub mod registry;
pub mod stats;
