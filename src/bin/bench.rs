//! Native side of `make bench`: the same Rust code the browser runs as wasm, compiled for
//! this machine, on the same problem, data and settings.
//!
//! ```text
//! cargo run --release --bin bench                      # human-readable
//! cargo run --release --bin bench -- --json --csv F    # one JSON line (tests/bench/run.mjs)
//! cargo run --release --bin bench -- --exact-only --csv F --reps 1   # JSON, the step only
//! cargo run --release --bin bench -- --only central     # for a profiler: one part, no output
//! ```
//!
//! Measures:
//! - `exact`: milliseconds per training step of the Analytic-gradient method, MLP 2-32-32-3,
//!   batch 256 (the whole training set), Adam, on the smooth preset's F and dF written in
//!   Rust. With `--csv FILE` the data are the rows of that file (x0, x1, y0, y1), the same
//!   rows the browser benchmark feeds to wasm and TF.js; without it they are generated.
//! - `central`: F-evaluations per second inside a Central-differences run on the same cheap
//!   F (page defaults: hidden [32, 32], batch 32), to compare with the browser's number.
//! - the network alone: forward + backward of the policy on 256 rows.
//! - every method on the smooth task (page defaults, budget 100,000, 2 log points so that
//!   monitoring costs little): training steps per second and learning F-evaluations per
//!   second (printed in the human-readable mode).

use blackbox_playground::fixtures::{coupled_map, smooth_map};
use blackbox_playground::nn::{Activation, Mlp};
use blackbox_playground::problem::FnBlackBox;
use blackbox_playground::{RunConfig, Session};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// The settings of the step benchmark (the browser benchmark builds the same JSON).
fn exact_config(csv: Option<&str>, steps: u64) -> String {
    let data = match csv {
        Some(text) => serde_json::json!({"source": "csv", "csv": text, "testFraction": 0}),
        None => serde_json::json!({"source": "generated", "samples": 256, "testFraction": 0}),
    };
    serde_json::json!({
        "method": "exact",
        "problem": {"xDim": 2, "thetaDim": 3, "yDim": 2, "xRange": [-1, 1]},
        "data": data,
        "network": {"hidden": [32, 32], "activation": "tanh"},
        "optimizer": {"kind": "adam", "learningRate": 0.01, "batchSize": 256, "clip": 0},
        "budget": 1_000_000_000u64, "maxSteps": steps, "seed": 1, "logPoints": 2,
    })
    .to_string()
}

fn central_config(steps: u64) -> String {
    serde_json::json!({
        "method": "central",
        "problem": {"xDim": 2, "thetaDim": 3, "yDim": 2, "xRange": [-1, 1]},
        "data": {"source": "generated", "samples": 256, "testFraction": 0.2},
        "network": {"hidden": [32, 32], "activation": "tanh"},
        "optimizer": {"kind": "adam", "learningRate": 0.01, "batchSize": 32, "clip": 10},
        "budget": 1_000_000_000u64, "maxSteps": steps, "seed": 1, "logPoints": 60,
    })
    .to_string()
}

fn now_ms(origin: Instant) -> impl Fn() -> f64 {
    move || origin.elapsed().as_secs_f64() * 1e3
}

/// Runs a session to its end; returns (wall ms as the session measured it, steps, all F rows).
fn run_session(config: &str) -> (f64, u64, u64, f64) {
    let cfg = RunConfig::from_json(config).expect("valid benchmark config");
    let mut s = Session::new(cfg, Box::new(smooth_map())).expect("session");
    let clock = now_ms(Instant::now());
    while !s
        .run_chunk(30.0, u64::MAX, &clock)
        .expect("benchmark run without errors")
    {}
    let last = s.history().last().map_or(f64::NAN, |h| h.train_loss);
    (
        s.wall_ms(),
        s.steps(),
        s.learning_evals() + s.monitoring_evals(),
        last,
    )
}

/// Each method on the smooth task with the page's defaults: (name, steps/s, learning F-evals/s, final/first loss).
fn per_method() -> Vec<(&'static str, f64, f64, f64)> {
    blackbox_playground::Method::ALL
        .iter()
        .map(|m| {
            let config = serde_json::json!({
                "method": m.name(),
                "problem": {"xDim": 2, "thetaDim": 3, "yDim": 2, "xRange": [-1, 1]},
                "budget": 100_000, "logPoints": 2, "seed": 1,
            })
            .to_string();
            let cfg = RunConfig::from_json(&config).expect("valid benchmark config");
            let mut s = Session::new(cfg, Box::new(smooth_map())).expect("session");
            let clock = now_ms(Instant::now());
            while !s
                .run_chunk(30.0, u64::MAX, &clock)
                .expect("benchmark run without errors")
            {}
            let secs = s.wall_ms() / 1e3;
            let h = s.history();
            let ratio = h.last().unwrap().train_loss / h[0].train_loss;
            (
                m.name(),
                s.steps() as f64 / secs,
                s.learning_evals() as f64 / secs,
                ratio,
            )
        })
        .collect()
}

/// Every method's time per learning F-evaluation (F, the policy network and monitoring
/// included, page defaults otherwise) at theta dimension 3 (the smooth map) and 40 (the coupled
/// map), the median of `reps` runs of `budget` evaluations; its own work is what it spends
/// beyond Central differences on the same problem. Returns (name, µs at 3, µs at 40).
/// One measurement: µs per learning evaluation, final/first training loss, median gradient error.
type PerEval = (f64, f64, f64);

fn per_evaluation(
    reps: usize,
    budget: u64,
    only: Option<&str>,
) -> Vec<(&'static str, PerEval, PerEval)> {
    let micros = |m: blackbox_playground::Method, p: usize| {
        let (x_dim, make): (usize, fn() -> FnBlackBox) = if p == 3 {
            (2, smooth_map)
        } else {
            (1, || coupled_map(40))
        };
        let config = serde_json::json!({
            "method": m.name(),
            "problem": {"xDim": x_dim, "thetaDim": p, "yDim": if p == 3 { 2 } else { p },
                        "xRange": [-1, 1]},
            "budget": budget, "seed": 1,
        })
        .to_string();
        let mut quality = (f64::NAN, f64::NAN);
        let runs = (0..reps)
            .map(|_| {
                let cfg = RunConfig::from_json(&config).expect("valid benchmark config");
                let mut s = Session::new(cfg, Box::new(make())).expect("session");
                let clock = now_ms(Instant::now());
                while !s
                    .run_chunk(30.0, u64::MAX, &clock)
                    .expect("benchmark run without errors")
                {}
                let h = s.history();
                let errs: Vec<f64> = h.iter().filter_map(|r| r.grad_rel_err).collect();
                quality = (
                    h.last().unwrap().train_loss / h[0].train_loss,
                    if errs.is_empty() {
                        f64::NAN
                    } else {
                        median(errs)
                    },
                );
                s.wall_ms() * 1e3 / s.learning_evals().max(1) as f64
            })
            .collect();
        (median(runs), quality.0, quality.1)
    };
    blackbox_playground::Method::ALL
        .iter()
        .filter(|m| only.is_none_or(|o| o == m.name() || m.name() == "central"))
        .map(|&m| {
            // `BENCH_THETA=3` or `=40`: one size only (for a profiler).
            let skip = |p: usize| std::env::var("BENCH_THETA").is_ok_and(|v| v != p.to_string());
            let nan = (f64::NAN, f64::NAN, f64::NAN);
            let at = |p| if skip(p) { nan } else { micros(m, p) };
            (m.name(), at(3), at(40))
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let csv = arg("--csv").map(|p| std::fs::read_to_string(&p).expect("read --csv file"));
    let steps: u64 = arg("--steps").map_or(1500, |s| s.parse().expect("--steps N"));
    let reps: usize = arg("--reps").map_or(5, |s| s.parse().expect("--reps N"));
    // For profiling one part: `--only central` runs the central runs only, many times.
    if let Some(only) = arg("--only") {
        let t0 = Instant::now();
        for _ in 0..reps {
            match only.as_str() {
                "central" => drop(run_session(&central_config(1000))),
                "exact" => drop(run_session(&exact_config(csv.as_deref(), steps))),
                other => panic!("--only central|exact, not {other}"),
            }
        }
        println!("{only}: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
        return;
    }

    // Every method's own work per learning evaluation, at theta dimensions 3 and 40.
    if args.iter().any(|a| a == "--per-evaluation") {
        let budget: u64 = arg("--budget").map_or(20_000, |s| s.parse().expect("--budget N"));
        // `--method NAME`: that method (and central, the baseline) only, e.g. for a profiler.
        let rows = per_evaluation(reps, budget, arg("--method").as_deref());
        let central = rows
            .iter()
            .find(|r| r.0 == "central")
            .map(|r| (r.1 .0, r.2 .0));
        let (c3, c40) = central.expect("central is a method");
        if json {
            let rows: Vec<_> = rows
                .iter()
                .map(|(name, a, b)| serde_json::json!({"method": name, "usPerEval3": a.0, "usPerEval40": b.0,
                    "ownUs3": a.0 - c3, "ownUs40": b.0 - c40, "finalOverFirst3": a.1, "finalOverFirst40": b.1,
                    "medianGradErr3": a.2, "medianGradErr40": b.2}))
                .collect();
            println!(
                "{}",
                serde_json::json!({"perEvaluation": rows, "budget": budget, "reps": reps})
            );
        } else {
            println!("µs per learning F-evaluation (F, policy network, monitoring), native, median of {reps} runs of {budget}; own = beyond central");
            println!(
                "(the last run's final/first training loss and median gradient error beside them)"
            );
            println!(
                "{:<10} {:>8} {:>8} {:>10} {:>8} | {:>8} {:>8} {:>10} {:>8}",
                "method", "θ 3", "own", "loss", "grad err", "θ 40", "own", "loss", "grad err"
            );
            for (name, a, b) in rows {
                println!(
                    "{name:<10} {:>8.2} {:>8.2} {:>10.2e} {:>8.3} | {:>8.2} {:>8.2} {:>10.2e} {:>8.3}",
                    a.0, a.0 - c3, a.1, a.2, b.0, b.0 - c40, b.1, b.2
                );
            }
        }
        return;
    }

    // exact: ms per step (median of `reps` runs of `steps` steps each).
    let cfg = exact_config(csv.as_deref(), steps);
    run_session(&exact_config(csv.as_deref(), 100)); // warm-up
    let mut per_step = Vec::new();
    let mut final_loss = f64::NAN;
    for _ in 0..reps {
        let (ms, n, _, loss) = run_session(&cfg);
        per_step.push(ms / n as f64);
        final_loss = loss;
    }
    let exact_ms = median(per_step.clone());
    if args.iter().any(|a| a == "--exact-only") {
        println!(
            "{}",
            serde_json::json!({"exactMsPerStep": exact_ms, "exactMsPerStepAll": per_step, "exactFinalLoss": final_loss})
        );
        return;
    }

    // central: F-evaluations per second (learning + monitoring rows) inside a run.
    let mut rates = Vec::new();
    for _ in 0..3 {
        let (ms, _, evals, _) = run_session(&central_config(1000));
        rates.push(evals as f64 / (ms / 1e3));
    }
    let central_rate = median(rates);

    // The policy network alone: forward + backward on 256 rows.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let net = Mlp::new(&[2, 32, 32, 3], Activation::Tanh, None, &mut rng);
    let x = Array2::from_shape_fn((256, 2), |_| rng.random_range(-1.0..1.0));
    let d = Array2::from_shape_fn((256, 3), |_| rng.random_range(-1.0..1.0));
    let (mut fwd_times, mut bwd_times) = (Vec::new(), Vec::new());
    let (_, cache) = net.forward(x.view());
    for _ in 0..reps {
        let iters = 300;
        let t0 = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(net.forward(std::hint::black_box(x.view())));
        }
        fwd_times.push(t0.elapsed().as_secs_f64() * 1e3 / iters as f64);
        let t0 = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(net.backward(&cache, std::hint::black_box(d.view())));
        }
        bwd_times.push(t0.elapsed().as_secs_f64() * 1e3 / iters as f64);
    }
    let (fwd_ms, bwd_ms) = (median(fwd_times), median(bwd_times));
    let nn_ms = fwd_ms + bwd_ms;

    if json {
        println!(
            "{}",
            serde_json::json!({
                "exactMsPerStep": exact_ms,
                "exactMsPerStepAll": per_step,
                "exactSteps": steps,
                "exactFinalLoss": final_loss,
                "centralEvalsPerSec": central_rate,
                "nnForwardBackwardMs": nn_ms,
                "target": std::env::consts::ARCH,
            })
        );
    } else {
        println!("native ({}), release build", std::env::consts::ARCH);
        println!(
            "exact, MLP 2-32-32-3, batch 256: {exact_ms:.4} ms/step (median of {reps} x {steps} steps); final loss {final_loss:.3e}"
        );
        println!(
            "  policy network alone, 256 rows: forward {fwd_ms:.4} ms + backward {bwd_ms:.4} ms"
        );
        println!(
            "central, cheap F (smooth preset), batch 32: {:.3} M F-evals/s",
            central_rate / 1e6
        );
        println!("\nevery method, smooth task, page defaults, budget 100,000 (wall time includes 2 log points):");
        println!(
            "{:<10} {:>12} {:>16} {:>14}",
            "method", "steps/s", "F-evals/s", "final/first"
        );
        for (name, steps, evals, ratio) in per_method() {
            println!("{name:<10} {steps:>12.0} {evals:>16.0} {ratio:>14.2e}");
        }
    }
}
