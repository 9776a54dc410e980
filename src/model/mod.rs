//! The domain: who is on the platform, what they post, how a user responds to what the
//! feed shows, and how the platform distributes notes.
//!
//! - [`world`]: users, creators, their segments and graphs (built once, read-only).
//! - [`content`]: notes and their counters.
//! - [`behaviour`]: the user's response: cover choice, reading, engaging, the journey.
//! - [`platform`]: feed policies, crowd rings and stages, candidate pools, search, the
//!   recommender's estimates.

pub mod behaviour;
pub mod content;
pub mod platform;
pub mod world;
