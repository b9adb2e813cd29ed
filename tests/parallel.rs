//! F evaluated by other workers (`Session::run_chunk_resumable`): a step whose batch is out
//! for evaluation is undone and taken again once the values are in. Whoever evaluates the
//! rows, in whatever slices and order, the run is the one a single worker gives, bit for bit.

mod common;
use blackbox_playground::{BlackBox, ChunkEnd, FnBlackBox, Method, Session};
use common::*;

/// Runs `method` the way the page's coordinator does with `workers` F-workers: each pending
/// batch is cut into `workers` slices, evaluated by another copy of F, last slice first.
/// Returns the session and how many batches went out.
fn run_farmed(
    method: &str,
    make: fn() -> FnBlackBox,
    workers: usize,
    steps_per_call: u64,
) -> (Session, usize) {
    let dims = make().dims();
    let cfg = config(method, dims, |_| {});
    let mut s = Session::new(cfg, Box::new(make())).expect("session starts");
    let mut elsewhere = make();
    let clock = || 0.0;
    let mut batches = 0;
    loop {
        match s
            .run_chunk_resumable(f64::INFINITY, steps_per_call, &clock)
            .expect("no errors")
        {
            ChunkEnd::Ended => break,
            ChunkEnd::More => {}
            ChunkEnd::Pending => {
                let (xs, ts) = s.pending_rows().expect("rows are pending");
                let n = xs.len() / dims.x;
                let mut out = vec![0.0; n * dims.y];
                let per = n.div_ceil(workers);
                for w in (0..workers).rev() {
                    let (a, b) = ((w * per).min(n), ((w + 1) * per).min(n));
                    elsewhere
                        .eval_batch(
                            &xs[a * dims.x..b * dims.x],
                            &ts[a * dims.theta..b * dims.theta],
                            &mut out[a * dims.y..b * dims.y],
                        )
                        .expect("F evaluates");
                }
                s.supply(out).expect("the values fit the batch");
                batches += 1;
            }
        }
    }
    (s, batches)
}

fn bits(s: &Session) -> Vec<Vec<u64>> {
    s.history()
        .iter()
        .map(|h| {
            let mut h = h.clone();
            h.wall_ms = 0.0;
            h.to_array().iter().map(|v| v.to_bits()).collect()
        })
        .collect()
}

#[test]
fn every_method_gives_the_same_run_bit_for_bit_with_f_evaluated_by_other_workers() {
    for m in Method::ALL.map(Method::name) {
        let one = run(m, smooth_map(), |_| {});
        for (workers, steps) in [(3, 1), (2, 7)] {
            let (farmed, batches) = run_farmed(m, smooth_map, workers, steps);
            assert!(batches > 0, "{m}: F went out to the workers");
            assert_eq!(
                bits(&farmed),
                bits(&one),
                "{m} with {workers} workers: the same history"
            );
            assert_eq!(
                farmed.policy().params(),
                one.policy().params(),
                "{m}: the same network"
            );
            assert_eq!(
                (
                    farmed.learning_evals(),
                    farmed.monitoring_evals(),
                    farmed.steps()
                ),
                (one.learning_evals(), one.monitoring_evals(), one.steps()),
                "{m}: the same counts"
            );
            assert_eq!(farmed.stop_reason(), one.stop_reason());
        }
    }
}

#[test]
fn a_log_points_monitoring_batches_go_out_together_not_one_round_trip_each() {
    // A log point evaluates F four times (training loss, test loss, the reference gradient
    // and the method's estimate); they do not depend on one another, so they go out as one
    // batch: a step costs one batch, and a step with a log point one more.
    let (farmed, batches) = run_farmed("central", smooth_map, 2, 1);
    let logs = farmed.history().len();
    let steps = farmed.steps() as usize;
    assert!(logs >= 3, "{logs} log points");
    assert!(
        batches <= steps + logs,
        "{batches} batches for {steps} steps and {logs} log points"
    );
}

#[test]
fn supplying_values_of_the_wrong_size_is_refused_with_a_message() {
    let dims = smooth_map().dims();
    let mut s = Session::new(config("central", dims, |_| {}), Box::new(smooth_map())).unwrap();
    let end = s.run_chunk_resumable(f64::INFINITY, 1, &|| 0.0).unwrap();
    assert_eq!(end, ChunkEnd::Pending);
    let err = s.supply(vec![1.0; 3]).unwrap_err().to_string();
    assert!(err.contains("3 values came for a batch of"), "{err}");
}

#[test]
fn the_fit_report_covers_every_kth_test_row_up_to_what_a_chart_shows() {
    use blackbox_playground::session::FIT_MAX_POINTS;
    let dims = smooth_map().dims();
    let cfg = config("central", dims, |c| {
        c.data.samples = 20_000;
        c.budget = 500;
    });
    let mut s = Session::new(cfg, Box::new(smooth_map())).unwrap();
    run_to_end(&mut s);
    let test_rows = s.data().x_test.nrows();
    assert!(test_rows > FIT_MAX_POINTS, "{test_rows} test rows");
    let before = s.monitoring_evals();
    let fit = s.fit_report().unwrap();
    let n = fit.x.len() / dims.x;
    assert!(
        n <= FIT_MAX_POINTS && n * 2 > FIT_MAX_POINTS,
        "{n} rows reported"
    );
    assert_eq!(
        s.monitoring_evals() - before,
        n as u64,
        "F is evaluated on those rows only"
    );
    let stride = test_rows.div_ceil(FIT_MAX_POINTS);
    for (i, row) in fit.x.chunks(dims.x).enumerate() {
        assert_eq!(row, s.data().x_test.row(i * stride).to_vec().as_slice());
    }
}
