//! feedsim: a parallel agent-based simulation of social-media content feeds.
//!
//! It contrasts a two-column feed whose choices train the recommender and whose
//! distribution follows a crowd "anti-funnel" (core → high-potential → general crowd)
//! with a single-column feed whose follower- and popularity-weighted traffic pools keep
//! the head on top. The pipeline is `Scenario` → [`engine::run`] → [`observe::output::RunOutput`].
//!
//! ```no_run
//! let scenario = feedsim::scenario::load_file("scenarios/quickstart.toml".as_ref(), &[])?;
//! let out = feedsim::engine::run(&scenario, feedsim::engine::RunOptions::new(2))?;
//! println!("{}", out.summary.variants[0].metrics["creator_impressions_gini"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

// Layers, top to bottom; a module uses only the layers below it (`tests/layers.rs`
// checks). `docs/architecture.md` is the map.
pub mod app;
pub mod cluster;
pub mod engine;
pub mod error;
pub mod fastmath;
pub mod io;
pub mod memory;
pub mod model;
pub mod observe;
pub mod rng;
pub mod scenario;
pub mod study;
