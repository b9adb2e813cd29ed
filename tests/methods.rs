//! Every method, run as a session: it learns, it keeps to its budget, it is
//! deterministic, and the comparisons the product is about come out as they should.

mod common;
use blackbox_playground::config::Method;
use blackbox_playground::estimate::{loss_and_grad, Batch, Estimator, CENTRAL_H_REL};
use blackbox_playground::problem::{CountedBox, Purpose};
use blackbox_playground::{Session, StopReason};
use common::*;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const ALL: [&str; 9] = [
    "central",
    "forward",
    "spsa",
    "es",
    "surrogate",
    "joint",
    "guided-es",
    "cv-es",
    "exact",
];

#[test]
fn every_method_lowers_the_loss_of_a_smooth_task_tenfold_within_its_budget() {
    for m in ALL {
        let s = run(m, smooth_map(), |_| {});
        let (first, last) = (first_loss(&s), final_loss(&s));
        assert!(last <= first / 10.0, "{m}: loss {first:e} -> {last:e}");
        assert!(
            s.learning_evals() <= s.config().budget,
            "{m} spent {} of {}",
            s.learning_evals(),
            s.config().budget
        );
    }
}

#[test]
fn the_analytic_gradient_reaches_the_target_in_the_fewest_evaluations() {
    // Logged often, so that the evaluation counts are not rounded to the same log point.
    let reach = |m: &str| {
        let s = run(m, smooth_map(), |c| c.log_points = 2000);
        evals_to_reach(&s, first_loss(&s) / 10.0).unwrap_or(u64::MAX)
    };
    let exact = reach("exact");
    for m in ALL.iter().filter(|&&m| m != "exact") {
        let other = reach(m);
        assert!(
            exact < other,
            "exact needed {exact} evaluations, {m} {other}"
        );
    }
}

#[test]
fn with_sixteen_dimensional_theta_joint_and_surrogate_need_fewer_evaluations_than_central() {
    let edit = |c: &mut blackbox_playground::config::RawConfig| {
        c.budget = 200_000;
        c.max_steps = 4000;
    };
    let central = run("central", curve(16), edit);
    let target = first_loss(&central) / 10.0;
    let central_evals = evals_to_reach(&central, target).expect("central reaches the target");
    for m in ["joint", "surrogate"] {
        let s = run(m, curve(16), edit);
        let evals = evals_to_reach(&s, target).unwrap_or(u64::MAX);
        assert!(
            evals < central_evals,
            "{m} needed {evals} evaluations, central {central_evals}"
        );
    }
}

#[test]
fn on_a_rounded_function_central_differences_see_zero_and_es_and_joint_still_learn() {
    // The default step is far below the rounding step: the estimate is zero.
    let mut bb = CountedBox::new(Box::new(rounded_map()));
    let x = Array2::from_shape_fn((64, 2), |(i, j)| ((i * 7 + j * 3) % 19) as f64 / 9.5 - 1.0);
    let theta = Array2::from_shape_fn((64, 3), |(i, j)| ((i * 5 + j * 11) % 17) as f64 / 8.5 - 1.0);
    let y = Array2::zeros((64, 2));
    let lg = loss_and_grad(
        Estimator::Central {
            h_rel: CENTRAL_H_REL,
            steps: None,
        },
        &mut bb,
        Purpose::Learning,
        Batch::new(x.view(), theta.view(), y.view()),
        &mut ChaCha8Rng::seed_from_u64(0),
        false,
    )
    .unwrap();
    let zero = lg.grad.iter().filter(|&&g| g == 0.0).count();
    assert!(
        zero as f64 >= 0.95 * lg.grad.len() as f64,
        "{zero} of {} zero",
        lg.grad.len()
    );
    let central = run("central", rounded_map(), |_| {});
    assert!(
        final_loss(&central) > first_loss(&central) / 1.5,
        "central should barely move"
    );
    for m in ["es", "joint"] {
        let s = run(m, rounded_map(), |_| {});
        assert!(
            final_loss(&s) <= first_loss(&s) / 3.0,
            "{m}: {:e} -> {:e}",
            first_loss(&s),
            final_loss(&s)
        );
    }
}

#[test]
fn guided_es_has_a_higher_median_gradient_cosine_than_plain_es() {
    let median_cos = |m: &str| {
        let s = run(m, curve(16), |c| c.budget = 100_000);
        let mut cos: Vec<f64> = s
            .history()
            .iter()
            .skip(1)
            .filter_map(|h| h.grad_cos)
            .collect();
        cos.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (cos[cos.len() / 2], s.learning_evals())
    };
    let (es, es_evals) = median_cos("es");
    let (guided, guided_evals) = median_cos("guided-es");
    assert_eq!(es_evals, guided_evals, "same evaluations");
    assert!(guided > es, "guided {guided} vs plain {es}");
}

#[test]
fn no_method_ever_spends_more_than_its_budget() {
    for m in ALL {
        for (budget, batch) in [(1_001, 32), (7_777, 50), (20_000, 7)] {
            let s = run(m, smooth_map(), |c| {
                c.budget = budget;
                c.optimizer.batch_size = batch;
                c.max_steps = 5_000;
            });
            assert!(
                s.learning_evals() <= budget,
                "{m}: {} > {budget}",
                s.learning_evals()
            );
            if m != "surrogate" {
                assert_eq!(
                    s.stop_reason(),
                    Some(StopReason::Budget),
                    "{m} ends on its budget"
                );
            }
            let h = s.history();
            assert!(h
                .windows(2)
                .all(|w| w[0].evals <= w[1].evals && w[0].monitor_evals <= w[1].monitor_evals));
            assert_eq!(
                h.last().unwrap().evals,
                s.learning_evals(),
                "{m}: final row is the end state"
            );
        }
    }
}

#[test]
fn a_step_that_would_overshoot_is_shrunk_and_said_so() {
    // central costs 7 per sample; 1000 = 4 steps of 32 samples (896) + 14 samples (98).
    let s = run("central", smooth_map(), |c| c.budget = 1_000);
    assert_eq!(s.learning_evals(), 994);
    assert!(
        s.notes()
            .iter()
            .any(|n| n.contains("14 samples instead of 32")),
        "{:?}",
        s.notes()
    );
}

fn comparable(s: &Session) -> Vec<[f64; 11]> {
    s.history()
        .iter()
        .map(|h| {
            let mut a = h.to_array();
            a[3] = 0.0; // wall time may differ
            a
        })
        .collect()
}

fn bits(rows: &[[f64; 11]]) -> Vec<u64> {
    rows.iter()
        .flat_map(|r| r.iter().map(|v| v.to_bits()))
        .collect()
}

#[test]
fn the_same_seed_gives_bit_identical_histories_and_another_seed_does_not() {
    for m in ALL {
        let edit = |seed| {
            move |c: &mut blackbox_playground::config::RawConfig| {
                c.budget = 5_000;
                c.max_steps = 300;
                c.seed = seed;
            }
        };
        let a = run(m, smooth_map(), edit(3));
        let b = run(m, smooth_map(), edit(3));
        let c = run(m, smooth_map(), edit(4));
        assert_eq!(
            bits(&comparable(&a)),
            bits(&comparable(&b)),
            "{m} differs for one seed"
        );
        assert_ne!(
            bits(&comparable(&a)),
            bits(&comparable(&c)),
            "{m} same for two seeds"
        );
    }
}

#[test]
fn chunked_runs_give_the_same_history_as_one_long_run() {
    let cfg = config(
        "spsa",
        blackbox_playground::BlackBox::dims(&smooth_map()),
        |c| c.budget = 20_000,
    );
    let mut a = Session::new(cfg.clone(), Box::new(smooth_map())).unwrap();
    run_to_end(&mut a);
    let mut b = Session::new(cfg, Box::new(smooth_map())).unwrap();
    while !b.run_chunk(f64::INFINITY, 3, &|| 0.0).unwrap() {}
    assert_eq!(bits(&comparable(&a)), bits(&comparable(&b)));
}

#[test]
fn every_method_name_round_trips_through_its_design_name() {
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names, ALL);
    for m in Method::ALL {
        assert_eq!(Method::from_name(m.name()), Some(m));
        assert!(!m.label().is_empty());
    }
}

/// Median of the gradient's relative error over the log points after the first quarter
/// (once a surrogate has data).
fn median_grad_error(s: &Session) -> f64 {
    let h = s.history();
    let mut e: Vec<f64> = h[h.len() / 4..]
        .iter()
        .filter_map(|r| r.grad_rel_err)
        .collect();
    e.sort_by(f64::total_cmp);
    e[e.len() / 2]
}

#[test]
fn es_with_the_surrogate_as_control_variate_halves_es_gradient_error_in_sixteen_dimensions() {
    let edit = |c: &mut blackbox_playground::config::RawConfig| {
        c.budget = 60_000;
        c.log_points = 40;
    };
    let es = run("es", curve(16), edit);
    let cv = run("cv-es", curve(16), edit);
    let (a, b) = (median_grad_error(&es), median_grad_error(&cv));
    assert!(
        b <= 0.5 * a,
        "median relative error: ES {a:.3}, cv-es {b:.3}"
    );
    // Its error bars: every log point of a stochastic method has one, none of a deterministic.
    assert!(cv
        .history()
        .iter()
        .all(|h| h.grad_se.is_some_and(|v| v > 0.0)));
    assert!(run("central", curve(16), edit)
        .history()
        .iter()
        .all(|h| h.grad_se.is_none()));
}

#[test]
fn es_with_the_surrogate_as_control_variate_still_learns_a_rounded_function() {
    let s = run("cv-es", rounded_map(), |c| c.budget = 60_000);
    let (first, last) = (first_loss(&s), final_loss(&s));
    assert!(last <= first / 3.0, "loss {first:e} -> {last:e}");
}
