//! A run that first tunes its learning rate: short pilot runs over a grid of rates around
//! the shared one (each on the same data and seed, with an equal share of a stated pilot
//! budget), scored by the lowest training loss each logged (so at equal F-evaluations), then
//! the run itself at the chosen rate. Pilot evaluations are counted apart from the run's
//! budget and reported, never hidden.

use super::{Session, SessionError, Status, StopReason};
use crate::config::RunConfig;
use crate::problem::BlackBox;
use serde::Serialize;

/// Rates tried: the shared rate times these factors (log-spaced, half a decade apart).
pub const GRID_FACTORS: [f64; 5] = [
    0.1,
    0.316_227_766_016_837_94,
    1.0,
    3.162_277_660_168_379_4,
    10.0,
];

/// What tuning did, for `results.json` (`runs[].tuning`).
#[derive(Clone, Debug, Serialize)]
pub struct TuningRecord {
    pub grid: Vec<f64>,
    /// Lowest logged training loss of each pilot (`null` when it diverged or failed).
    pub scores: Vec<Option<f64>>,
    pub chosen: f64,
    /// F-evaluations the pilots spent (learning ones of the pilots; their monitoring too).
    pub evals: u64,
    pub monitor_evals: u64,
}

/// Makes a fresh black box for each pilot and for the run (they share the user's code).
pub type MakeBox = Box<dyn FnMut() -> Box<dyn BlackBox>>;

/// A run with optional learning-rate tuning in front of it.
pub struct TunedRun {
    cfg: RunConfig,
    make: MakeBox,
    grid: Vec<f64>,
    scores: Vec<Option<f64>>,
    pilot: Option<Session>,
    main: Option<Session>,
    evals: u64,
    monitor_evals: u64,
    record: Option<TuningRecord>,
    stopped: bool,
}

impl TunedRun {
    /// Starts tuning when `cfg.tune` is set, else the run itself at once.
    pub fn new(cfg: RunConfig, mut make: MakeBox) -> Result<TunedRun, SessionError> {
        let grid: Vec<f64> = if cfg.tune {
            GRID_FACTORS
                .iter()
                .map(|f| (cfg.learning_rate * f).min(10.0))
                .collect()
        } else {
            vec![]
        };
        let main = if grid.is_empty() {
            Some(Session::new(cfg.clone(), make())?)
        } else {
            None
        };
        let mut run = TunedRun {
            cfg,
            make,
            grid,
            scores: vec![],
            pilot: None,
            main,
            evals: 0,
            monitor_evals: 0,
            record: None,
            stopped: false,
        };
        run.next_pilot()?;
        Ok(run)
    }

    /// The budget of one pilot: the pilot share of the run's budget, split evenly.
    fn pilot_config(&self, rate: f64) -> RunConfig {
        let mut c = self.cfg.clone();
        c.learning_rate = rate;
        c.budget = ((self.cfg.budget as f64 * self.cfg.tune_share) / self.grid.len() as f64)
            .max(1.0) as u64;
        c.tune = false;
        c
    }

    fn next_pilot(&mut self) -> Result<(), SessionError> {
        if self.main.is_some() || self.stopped {
            return Ok(());
        }
        let i = self.scores.len();
        if i < self.grid.len() {
            let cfg = self.pilot_config(self.grid[i]);
            self.pilot = Some(Session::new(cfg, (self.make)())?);
            return Ok(());
        }
        // Lowest score wins; ties (and no usable pilot at all) keep the shared rate.
        let mut chosen = self.cfg.learning_rate;
        let mut best = f64::INFINITY;
        for (rate, score) in self.grid.iter().zip(&self.scores) {
            if let Some(s) = score {
                if *s < best {
                    best = *s;
                    chosen = *rate;
                }
            }
        }
        self.record = Some(TuningRecord {
            grid: self.grid.clone(),
            scores: self.scores.clone(),
            chosen,
            evals: self.evals,
            monitor_evals: self.monitor_evals,
        });
        let mut cfg = self.cfg.clone();
        cfg.learning_rate = chosen;
        self.main = Some(Session::new(cfg, (self.make)())?);
        Ok(())
    }

    /// Works like `Session::run_chunk`: first the pilots, then the run.
    pub fn run_chunk(
        &mut self,
        max_ms: f64,
        max_steps: u64,
        now: &dyn Fn() -> f64,
    ) -> Result<bool, SessionError> {
        if let Some(main) = &mut self.main {
            return main.run_chunk(max_ms, max_steps, now);
        }
        if self.stopped {
            return Ok(true);
        }
        let Some(pilot) = &mut self.pilot else {
            return Ok(true);
        };
        // F failing in a pilot is F failing: the run ends with its error.
        let ended = pilot.run_chunk(max_ms, max_steps, now)?;
        if ended {
            let p = self.pilot.take().expect("a pilot");
            self.evals += p.learning_evals();
            self.monitor_evals += p.monitoring_evals();
            let usable = !matches!(
                p.stop_reason(),
                Some(StopReason::Diverged | StopReason::Error)
            );
            let best = p
                .history()
                .iter()
                .map(|h| h.train_loss)
                .filter(|v| v.is_finite())
                .reduce(f64::min);
            self.scores.push(best.filter(|_| usable));
            self.next_pilot()?;
        }
        Ok(false)
    }

    /// `Session::run_chunk_resumable` for the run itself; the tuning pilots before it
    /// evaluate F here and now (they end in `More` or `Ended`, never `Pending`).
    pub fn run_chunk_resumable(
        &mut self,
        max_ms: f64,
        max_steps: u64,
        now: &dyn Fn() -> f64,
    ) -> Result<super::ChunkEnd, SessionError> {
        if let Some(main) = &mut self.main {
            return main.run_chunk_resumable(max_ms, max_steps, now);
        }
        Ok(if self.run_chunk(max_ms, max_steps, now)? {
            super::ChunkEnd::Ended
        } else {
            super::ChunkEnd::More
        })
    }

    /// The run itself, once tuning is over.
    pub fn session(&self) -> Option<&Session> {
        self.main.as_ref()
    }
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        self.main.as_mut()
    }
    pub fn tuning(&self) -> Option<&TuningRecord> {
        self.record.as_ref()
    }

    /// Ends the run (or the tuning) on the user's request.
    pub fn stop(&mut self) {
        match &mut self.main {
            Some(m) => m.stop(),
            None => {
                self.stopped = true;
                self.pilot = None;
            }
        }
    }

    /// The run's status; while tuning, an empty run's status that says so.
    pub fn status(&self) -> (Status, Option<serde_json::Value>) {
        let tuning = match (&self.record, &self.main) {
            (Some(r), _) => Some(serde_json::to_value(r).expect("serialisable")),
            (None, None) if !self.grid.is_empty() => Some(serde_json::json!({
                "grid": self.grid, "scores": self.scores, "pilot": self.scores.len(),
                "evals": self.evals + self.pilot.as_ref().map_or(0, |p| p.learning_evals()),
            })),
            _ => None,
        };
        let status = match &self.main {
            Some(m) => m.status(),
            None => Status {
                method: self.cfg.method.name(),
                steps: 0,
                evals: 0,
                monitor_evals: 0,
                jacobian_evals: 0,
                budget: self.cfg.budget,
                max_steps: self.cfg.max_steps,
                learning_rate: self.cfg.learning_rate,
                skipped: 0,
                done: self.stopped,
                stop_reason: self.stopped.then_some(StopReason::Stopped.name()),
                message: Some(if self.stopped {
                    "stopped by the user while tuning the learning rate".into()
                } else {
                    format!(
                        "tuning the learning rate: pilot {} of {}",
                        (self.scores.len() + 1).min(self.grid.len()),
                        self.grid.len()
                    )
                }),
                error: None,
                notes: vec![],
                wall_ms: 0.0,
                surrogate_mse: None,
                outcome: self.stopped.then_some("stopped"),
                outcome_why: self.stopped.then(|| "stopped while tuning".into()),
            },
        };
        (status, tuning)
    }
}
