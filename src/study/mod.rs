//! Experiments over runs: replicates and comparisons with intervals, sweeps over scenario
//! keys, factorial decompositions and baseline checks. No command line and no files: the
//! drivers are in [`crate::app`], the formats in [`crate::io`].

pub mod calibrate;
pub mod check;
pub mod compare;
pub mod decompose;
pub mod sweep;
