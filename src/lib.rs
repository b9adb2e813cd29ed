//! Blackbox Gradients Playground: train a neural network `NN_pi(x) -> theta` so that
//! `F(X, NN_pi(X))` matches data `Y`, when `F` is a black box that cannot be
//! differentiated. The numerical core is portable Rust, tested natively; `wasm` is the
//! only module that knows JavaScript.
//!
//! Layers (no arrow points up): `problem`, `nn`, `optim`, `config`, `plot` at the bottom;
//! `estimate` and `surrogate` above them; `session` above those; `wasm` on top.

pub mod config;
pub mod data;
pub mod diagnose;
pub mod error_bars;
pub mod estimate;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod js_math;
pub mod methods;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod problem;
pub mod race;
pub mod schema;
pub mod session;
pub mod settings;
pub mod share;
pub mod surrogate;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Method, RunConfig};
pub use problem::{BlackBox, Dims, EvalError, FnBlackBox};
pub use session::{ChunkEnd, HistoryRow, Outcome, Session, SessionError, StopReason};
