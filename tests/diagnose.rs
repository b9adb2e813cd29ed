//! Diagnose F: ECnoise's decision rules as the reference algorithm has them, the noise it
//! finds against the truth, flat (quantized) components, the dF check, and the advice.

use approx::assert_relative_eq;
use blackbox_playground::diagnose::{ecnoise, recommend, Diagnoser, Diagnosis, Verdict};
use blackbox_playground::{Dims, FnBlackBox};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const DIMS: Dims = Dims {
    x: 1,
    theta: 2,
    y: 2,
};

/// A smooth F of two parameters with two outputs of size about 1 to 3.
fn smooth(x: &[f64], t: &[f64], y: &mut [f64]) {
    y[0] = (0.3 * t[0]).exp() * (1.0 + 0.5 * x[0]) + t[1].sin() + 2.0;
    y[1] = 1.5 + 0.2 * t[0] * t[1] + (x[0] * t[1]).cos();
}

fn smooth_jacobian(x: &[f64], t: &[f64], j: &mut [f64]) {
    j[0] = 0.3 * (0.3 * t[0]).exp() * (1.0 + 0.5 * x[0]);
    j[1] = t[1].cos();
    j[2] = 0.2 * t[1];
    j[3] = 0.2 * t[0] - x[0] * (x[0] * t[1]).sin();
}

/// Three samples and the thetas there.
fn points() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    (
        vec![vec![0.3], vec![-0.5], vec![0.8]],
        vec![vec![0.4, -0.2], vec![-0.7, 0.5], vec![0.1, 0.9]],
    )
}

fn diagnose(mut bb: FnBlackBox, has_df: bool) -> Diagnosis {
    let (xs, thetas) = points();
    let mut d = Diagnoser::new(DIMS, xs, thetas, vec![1.0; DIMS.theta], has_df);
    while !d.is_done() {
        d.step(&mut bb);
    }
    d.finish(&mut bb)
}

fn noisy(sd: f64, seed: u64) -> FnBlackBox {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    FnBlackBox::new(DIMS, move |x, t, y| {
        smooth(x, t, y);
        for v in y.iter_mut() {
            let z: f64 = StandardNormal.sample(&mut rng);
            *v += sd * z;
        }
    })
}

#[test]
fn ecnoise_calls_a_spread_over_ten_percent_a_spacing_too_large() {
    let v = [1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3];
    assert_eq!(ecnoise(&v).verdict, Verdict::SpacingTooLarge);
}

#[test]
fn ecnoise_calls_the_spacing_too_small_from_four_of_seven_zero_first_differences_not_three() {
    let e = 1e-9;
    // Four zero first differences (of six): at least half.
    let four = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0 + e, 1.0];
    assert_eq!(ecnoise(&four).verdict, Verdict::SpacingTooSmall);
    // Three: fewer than nf/2 = 3.5 (a port that divides integers says "too small" here).
    let three = [1.0, 1.0, 1.0, 1.0, 1.0 + e, 1.0, 1.0 + e];
    assert_ne!(ecnoise(&three).verdict, Verdict::SpacingTooSmall);
}

#[test]
fn ecnoise_takes_the_first_order_whose_three_levels_agree_and_whose_differences_change_sign() {
    let e = 1e-6;
    // Alternating noise: order 1 already qualifies, level sqrt(γ1 · (2e)²) = sqrt(2) e.
    let alt: Vec<f64> = (0..7)
        .map(|i| 1.0 + if i % 2 == 0 { e } else { -e })
        .collect();
    let got = ecnoise(&alt);
    assert_eq!(got.levels.len(), 6);
    match got.verdict {
        Verdict::Noise(v) => assert_relative_eq!(v, got.levels[0], max_relative = 1e-12),
        other => panic!("{other:?}"),
    }
    assert_relative_eq!(got.levels[0], 2f64.sqrt() * e, max_relative = 1e-6);
    // A trend of 2.5e a step under the same noise: the first differences never change sign,
    // so order 1 is refused although its three levels agree within 4 (a port without the sign
    // test would answer levels[0]); order 2 is taken.
    let trend: Vec<f64> = (0..7)
        .map(|i| 1.0 + 2.5 * e * i as f64 + if i % 2 == 0 { e } else { -e })
        .collect();
    let got = ecnoise(&trend);
    let l = &got.levels;
    assert!(
        l[0] <= 4.0 * l[1].min(l[2]),
        "order 1's window agrees: {l:?}"
    );
    match got.verdict {
        Verdict::Noise(v) => assert_eq!(v, l[1]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ecnoise_finds_no_noise_in_a_smooth_polynomial() {
    // Every order's differences keep one sign: no noise shows at this spacing.
    let v: Vec<f64> = (0..7).map(|i| (0.01 * i as f64).exp()).collect();
    assert_eq!(ecnoise(&v).verdict, Verdict::SpacingTooLarge);
}

#[test]
fn the_noise_found_is_within_a_factor_2_of_the_truth_from_1e_12_to_1e_2() {
    for (k, sd) in [1e-12, 1e-8, 1e-4, 1e-2].into_iter().enumerate() {
        let d = diagnose(noisy(sd, 11 + k as u64), false);
        for c in &d.components {
            let n = c
                .noise
                .unwrap_or_else(|| panic!("sd {sd}: θ{} found no noise", c.index));
            assert!(
                n > sd / 2.0 && n < sd * 2.0,
                "sd {sd}: θ{} noise {n:e}",
                c.index
            );
            assert!(!c.flat, "sd {sd}: θ{} is not flat", c.index);
        }
        assert_eq!(d.failures.count, 0);
        assert!(
            d.evals > 0 && d.evals < 600,
            "sd {sd}: {} evaluations",
            d.evals
        );
    }
}

#[test]
fn noise_optimal_steps_grow_with_the_noise() {
    let quiet = diagnose(noisy(1e-12, 3), false);
    let loud = diagnose(noisy(1e-4, 3), false);
    for (q, l) in quiet.components.iter().zip(&loud.components) {
        let (qf, lf) = (q.h_forward.unwrap(), l.h_forward.unwrap());
        let (qc, lc) = (q.h_central.unwrap(), l.h_central.unwrap());
        // h_forward ∝ sqrt(ε), h_central ∝ cbrt(ε): 1e8 times the noise.
        assert!(lf / qf > 1e3 && lf / qf < 1e5, "forward {qf:e} -> {lf:e}");
        assert!(lc / qc > 1e2 && lc / qc < 1e4, "central {qc:e} -> {lc:e}");
    }
}

#[test]
fn a_quantized_f_is_flagged_flat_with_the_step_at_which_it_moves() {
    let bb = FnBlackBox::new(DIMS, |x, t, y| {
        smooth(x, t, y);
        for v in y.iter_mut() {
            *v = (*v * 1e3).round() / 1e3;
        }
    });
    let d = diagnose(bb, false);
    for c in &d.components {
        assert!(c.flat, "θ{} is flat: {c:?}", c.index);
        let h = c.flat_step.expect("F moves at some step");
        assert!((1e-4..=1.0).contains(&h), "θ{}: moves at {h:e}", c.index);
    }
    let r = recommend(&d, &[1.0, 1.0], None);
    assert_eq!(r.methods[0], "es");
    assert!(r.settings["sigma"].as_f64().unwrap() >= 0.05);
    assert!(
        r.why.contains("does not change under small steps"),
        "{}",
        r.why
    );
}

#[test]
fn a_correct_df_passes_with_a_relative_error_below_1e_6_and_is_recommended() {
    let bb = FnBlackBox::new(DIMS, smooth).with_jacobian(smooth_jacobian);
    let d = diagnose(bb, true);
    let check = d.df_check.as_ref().expect("a dF check");
    assert!(check.ok, "{check:?}");
    assert!(check.rel_err < 1e-6, "{check:?}");
    let r = recommend(&d, &[1.0, 1.0], None);
    assert_eq!(r.methods, vec!["exact"]);
}

#[test]
fn a_df_with_one_wrong_entry_is_caught_and_the_entry_named() {
    let bb = FnBlackBox::new(DIMS, smooth).with_jacobian(|x, t, j| {
        smooth_jacobian(x, t, j);
        j[2] += 0.01; // output 1, component 0
    });
    let d = diagnose(bb, true);
    let check = d.df_check.as_ref().expect("a dF check");
    assert!(!check.ok, "{check:?}");
    assert_eq!((check.worst.output, check.worst.component), (1, 0));
    let r = recommend(&d, &[1.0, 1.0], None);
    assert_ne!(r.methods[0], "exact");
    assert!(r.why.contains("(output 1, θ0)"), "{}", r.why);
}

#[test]
fn a_smooth_cheap_f_gets_central_differences_a_noisy_one_the_noise_optimal_step_and_es() {
    let d = diagnose(FnBlackBox::new(DIMS, smooth), false);
    assert_eq!(
        recommend(&d, &[1.0, 1.0], Some(0.001)).methods,
        vec!["central"]
    );
    let d = diagnose(noisy(1e-3, 5), false);
    let r = recommend(&d, &[1.0, 1.0], Some(0.001));
    assert_eq!(r.methods, vec!["central", "es"]);
    assert_eq!(r.settings["autoStep"], true);
    let sigma = r.settings["sigma"].as_f64().unwrap();
    let widest = d
        .components
        .iter()
        .map(|c| c.h_central.unwrap())
        .fold(0.0, f64::max);
    assert!(
        sigma >= widest,
        "σ {sigma} above the noise scale {widest:e}"
    );
    // A costly F: the joint surrogate.
    let d = diagnose(FnBlackBox::new(DIMS, smooth), false);
    assert_eq!(recommend(&d, &[1.0, 1.0], Some(2.0)).methods[0], "joint");
}

#[test]
fn probes_that_throw_or_give_nan_are_counted_with_an_example() {
    let bb = FnBlackBox::new(DIMS, |x, t, y| {
        smooth(x, t, y);
        if t[1] > 0.85 {
            y[0] = f64::NAN;
        }
    });
    let d = diagnose(bb, false);
    assert!(d.failures.count > 0);
    let ex = d.failures.example.as_ref().unwrap();
    assert!(ex.theta[1] > 0.85, "{ex:?}");
    assert!(ex.message.contains("NaN"), "{}", ex.message);
}

#[test]
fn noise_over_ten_percent_of_f_is_measured_by_its_difference_table() {
    // |F| is about 1 to 3; a standard deviation of 0.5 spreads any seven values over 10%.
    let d = diagnose(noisy(0.5, 21), false);
    for c in &d.components {
        let n = c
            .noise
            .unwrap_or_else(|| panic!("θ{} found no noise", c.index));
        assert!(n > 0.25 && n < 1.0, "θ{}: noise {n}", c.index);
    }
    assert_eq!(
        recommend(&d, &[1.0, 1.0], Some(0.001)).settings["autoStep"],
        true
    );
}

#[test]
fn a_flat_f_leaves_df_unchecked_and_says_why() {
    let bb = FnBlackBox::new(DIMS, |x, t, y| {
        smooth(x, t, y);
        for v in y.iter_mut() {
            *v = (*v * 1e3).round() / 1e3;
        }
    })
    .with_jacobian(smooth_jacobian);
    let d = diagnose(bb, true);
    assert_eq!(d.df_check, None);
    assert!(
        d.df_note.as_deref().unwrap_or("").contains("not checked"),
        "{:?}",
        d.df_note
    );
}

// ------------------------------------------------------------------------------------------
// The budget: at most BUDGET (60) F-evaluations per θ component, plus F once at each sample.

/// A 40-parameter F with 20 outputs: every output mixes every parameter, nonlinearly.
fn forty(x: &[f64], t: &[f64], y: &mut [f64]) {
    for (k, out) in y.iter_mut().enumerate() {
        let s: f64 = t
            .iter()
            .enumerate()
            .map(|(i, ti)| ti * ((i + 1) as f64 * 0.1 * (k + 1) as f64 * x[0]).sin())
            .sum();
        *out = s.tanh() + 0.1 * t[k % t.len()].powi(2);
    }
}

fn forty_jacobian(x: &[f64], t: &[f64], j: &mut [f64]) {
    let p = t.len();
    for k in 0..20 {
        let s: f64 = t
            .iter()
            .enumerate()
            .map(|(i, ti)| ti * ((i + 1) as f64 * 0.1 * (k + 1) as f64 * x[0]).sin())
            .sum();
        let d = 1.0 - s.tanh().powi(2);
        for i in 0..p {
            j[k * p + i] = d * ((i + 1) as f64 * 0.1 * (k + 1) as f64 * x[0]).sin();
        }
        j[k * p + k % p] += 0.2 * t[k % p];
    }
}

const FORTY: Dims = Dims {
    x: 1,
    theta: 40,
    y: 20,
};

fn forty_points(samples: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let xs = (0..samples).map(|i| vec![-0.8 + 0.17 * i as f64]).collect();
    let thetas = (0..samples)
        .map(|i| {
            (0..40)
                .map(|j| 0.3 * ((i * 40 + j) as f64 * 0.7).sin())
                .collect()
        })
        .collect();
    (xs, thetas)
}

fn run(mut d: Diagnoser, bb: &mut FnBlackBox) -> Diagnosis {
    while !d.is_done() {
        d.step(bb);
    }
    d.finish(bb)
}

#[test]
fn a_40_parameter_diagnosis_spends_at_most_60_evaluations_per_component_plus_one_per_sample() {
    use blackbox_playground::diagnose::{samples_for, BUDGET};
    use std::cell::Cell;
    use std::rc::Rc;
    for has_df in [false, true] {
        let calls = Rc::new(Cell::new(0u64));
        let counted = calls.clone();
        let mut bb = FnBlackBox::new(FORTY, move |x, t, y| {
            counted.set(counted.get() + 1);
            forty(x, t, y);
        });
        if has_df {
            bb = bb.with_jacobian(forty_jacobian);
        }
        let (xs, thetas) = forty_points(samples_for(BUDGET));
        assert_eq!(xs.len(), 3);
        let d = run(
            Diagnoser::new(FORTY, xs, thetas, vec![1.0; 40], has_df),
            &mut bb,
        );
        let most = 60 * 40 + 3;
        assert!(d.evals <= most, "dF {has_df}: {} evaluations", d.evals);
        // The count is F's own: every call of F is one of them.
        assert_eq!(calls.get(), d.evals, "dF {has_df}");
        assert_eq!(
            (d.budget, d.samples, d.shared_evals, d.max_evals),
            (60, 3, 3, most)
        );
        // And it still measures: rounding noise and steps on every component, dF checked.
        for c in &d.components {
            assert!(c.measured, "θ{}: {c:?}", c.index);
            assert!(
                c.h_forward.is_some() && c.h_central.is_some(),
                "θ{}: {c:?}",
                c.index
            );
            assert!(!c.flat, "θ{}", c.index);
        }
        if has_df {
            let check = d.df_check.as_ref().expect("a dF check");
            assert!(check.ok && check.conclusive, "{check:?}");
        }
        let cut = d.components.iter().filter(|c| c.budget_reached).count();
        println!(
            "40 parameters, 20 outputs, dF {has_df}: {} F-evaluations ({:.1} per component), {cut} components reached the budget",
            d.evals,
            d.evals as f64 / 40.0
        );
    }
}

#[test]
fn a_larger_budget_is_kept_too_and_looks_at_more_samples() {
    use blackbox_playground::diagnose::samples_for;
    assert_eq!(samples_for(180), 9);
    let mut bb = FnBlackBox::new(FORTY, forty).with_jacobian(forty_jacobian);
    let (xs, thetas) = forty_points(samples_for(180));
    let d = run(
        Diagnoser::new(FORTY, xs, thetas, vec![1.0; 40], true).with_budget(180),
        &mut bb,
    );
    assert_eq!((d.samples, d.budget), (9, 180));
    assert!(d.evals <= 180 * 40 + 9, "{} evaluations", d.evals);
}

#[test]
fn the_budget_is_a_hard_limit_even_when_it_cuts_a_measurement_short() {
    // 30 per component (the least one may ask) with dF: the dF check keeps its 12, the rest
    // is cut where it must be, and the component says so.
    let mut bb = FnBlackBox::new(DIMS, |x, t, y| {
        smooth(x, t, y);
        for v in y.iter_mut() {
            *v = (*v * 1e3).round() / 1e3 + 1e-9 * (t[0] * 1e6).sin();
        }
    })
    .with_jacobian(smooth_jacobian);
    let (xs, thetas) = points();
    let d = run(
        Diagnoser::new(DIMS, xs, thetas, vec![1.0; 2], true).with_budget(30),
        &mut bb,
    );
    assert!(d.evals <= 30 * 2 + 3, "{} evaluations", d.evals);
    for c in d.components.iter().filter(|c| c.budget_reached) {
        assert!(!c.measured || c.flat, "θ{} was cut short: {c:?}", c.index);
    }
}

// ------------------------------------------------------------------------------------------
// A failing F: F = [sqrt(θ0)·y, y + θ1] with y solving y³ + θ0·y = θ1 + x by Newton.

/// y with y³ + a·y = b by Newton from cbrt(b); an error when a < 0 or it does not converge.
fn newton(a: f64, b: f64) -> Result<f64, String> {
    if a < 0.0 {
        return Err(format!("theta0 = {a} < 0: sqrt of a negative number"));
    }
    let mut y = b.cbrt();
    for _ in 0..60 {
        let g = y * y * y + a * y - b;
        let dg = 3.0 * y * y + a;
        if dg == 0.0 {
            return if g == 0.0 {
                Ok(y)
            } else {
                Err("Newton: zero derivative".into())
            };
        }
        let step = g / dg;
        y -= step;
        if step.abs() <= 1e-15 * (1.0 + y.abs()) {
            return Ok(y);
        }
    }
    Err("Newton did not converge".into())
}

const NEWTON: Dims = Dims {
    x: 1,
    theta: 2,
    y: 2,
};

/// The Newton F over one sample; with `band`, it also throws for 0.15 < θ0 < 0.18.
fn newton_f(x: &[f64], t: &[f64], band: bool) -> Result<Vec<f64>, String> {
    if band && t[0] > 0.15 && t[0] < 0.18 {
        return Err(format!("no solution for theta0 = {} in (0.15, 0.18)", t[0]));
    }
    let y = newton(t[0], t[1] + x[0])?;
    Ok(vec![t[0].sqrt() * y, y + t[1]])
}

/// A black box that throws (returns an error) where the closure does, remembering each
/// distinct (x, θ) at which it failed.
struct Throwing {
    band: bool,
    failed: std::rc::Rc<std::cell::RefCell<std::collections::HashSet<Vec<u64>>>>,
}

impl blackbox_playground::BlackBox for Throwing {
    fn dims(&self) -> Dims {
        NEWTON
    }
    fn eval_batch(
        &mut self,
        xs: &[f64],
        thetas: &[f64],
        out: &mut [f64],
    ) -> Result<(), blackbox_playground::EvalError> {
        for ((x, t), y) in xs.chunks(1).zip(thetas.chunks(2)).zip(out.chunks_mut(2)) {
            match newton_f(x, t, self.band) {
                Ok(v) => y.copy_from_slice(&v),
                Err(e) => {
                    let key = x.iter().chain(t).map(|v| v.to_bits()).collect();
                    self.failed.borrow_mut().insert(key);
                    return Err(blackbox_playground::EvalError(e));
                }
            }
        }
        Ok(())
    }
}

/// The same F as an FnBlackBox that gives NaN where it fails.
fn newton_nan(band: bool) -> FnBlackBox {
    FnBlackBox::new(NEWTON, move |x, t, y| match newton_f(x, t, band) {
        Ok(v) => y.copy_from_slice(&v),
        Err(_) => y.fill(f64::NAN),
    })
}

fn diagnose_at(bb: &mut dyn blackbox_playground::BlackBox, theta0: [f64; 3]) -> Diagnosis {
    let xs = vec![vec![0.3], vec![-0.5], vec![0.8]];
    let thetas = vec![
        vec![theta0[0], 0.4],
        vec![theta0[1], 0.2],
        vec![theta0[2], -0.3],
    ];
    let mut d = Diagnoser::new(NEWTON, xs, thetas, vec![1.0, 1.0], false);
    while !d.is_done() {
        d.step(bb);
    }
    d.finish(bb)
}

fn throwing(
    band: bool,
) -> (
    Throwing,
    std::rc::Rc<std::cell::RefCell<std::collections::HashSet<Vec<u64>>>>,
) {
    let failed = std::rc::Rc::default();
    (
        Throwing {
            band,
            failed: std::rc::Rc::clone(&failed),
        },
        failed,
    )
}

#[test]
fn newton_f_near_theta0_0_counts_each_failed_probe_and_names_the_component_and_values() {
    // θ0 starts at 0.02: within reach of the negative values where F throws (or gives NaN).
    let (mut bb, failed) = throwing(false);
    let d = diagnose_at(&mut bb, [0.02, 0.5, 0.9]);
    assert!(d.failures.count > 0, "{:?}", d.failures);
    assert_eq!(
        d.failures.count,
        failed.borrow().len() as u64,
        "each failed probe once"
    );
    assert!(d.failures.at_start.is_empty());
    let c0 = &d.components[0];
    assert_eq!(c0.failures, d.failures.count, "every failure was along θ0");
    let [lo, hi] = c0.failed_range.expect("the values where it failed");
    assert!(
        lo < 0.0 && hi < 0.0 && lo >= 0.02 - 0.1 - 1e-12,
        "{lo}..{hi}"
    );
    // Near its start θ0 is measured (F works there): not "ignored", not unmeasured.
    assert!(c0.measured && c0.flat_step.is_some(), "{c0:?}");
    assert_eq!(d.components[1].failures, 0);
    let r = recommend(&d, &[1.0, 1.0], Some(0.001));
    assert!(r.why.contains("along θ0"), "{}", r.why);
    assert_eq!(r.settings["onFailure"], "skip");

    // The NaN version counts the same.
    let mut nan = newton_nan(false);
    let n = diagnose_at(&mut nan, [0.02, 0.5, 0.9]);
    assert_eq!(n.failures.count, d.failures.count);
    assert!(n.failures.example.as_ref().unwrap().message.contains("NaN"));
}

#[test]
fn newton_f_failing_at_a_samples_start_measures_at_the_others_and_says_which() {
    let (mut bb, failed) = throwing(false);
    let d = diagnose_at(&mut bb, [-0.01, 0.5, 0.9]);
    assert_eq!(d.failures.at_start, vec![0]);
    assert_eq!(d.failures.count, failed.borrow().len() as u64);
    for c in &d.components {
        // Measured at the second sample: its noise, a step at which F moves, its steps.
        assert!(c.measured, "θ{}: {c:?}", c.index);
        assert!(
            c.flat_step.is_some(),
            "θ{} is no ignored component: {c:?}",
            c.index
        );
    }
    let r = recommend(&d, &[1.0, 1.0], Some(0.001));
    assert!(r.why.contains("start θ of 1 of 3 samples"), "{}", r.why);
}

#[test]
fn newton_f_whose_smoothness_cannot_be_measured_gets_no_advice_that_rests_on_it() {
    // θ0 = 1e-7 at every sample: ECnoise's first table (±3e-6) reaches θ0 < 0 and is retried
    // closer in; the steps' probes (±1e-4 and wider) fail. Its smoothness is unknown.
    for nan in [false, true] {
        let d = if nan {
            diagnose_at(&mut newton_nan(false), [1e-7, 1e-7, 1e-7])
        } else {
            diagnose_at(&mut throwing(false).0, [1e-7, 1e-7, 1e-7])
        };
        let c0 = &d.components[0];
        assert!(c0.failures > 0 && !c0.measured, "{c0:?}");
        assert!(
            c0.flat_step.is_some() || c0.failures > 0,
            "a failing component is not one F ignores: {c0:?}"
        );
        let r = recommend(&d, &[1.0, 1.0], Some(0.001));
        assert!(!r.why.contains("smooth to rounding"), "{}", r.why);
        assert_ne!(r.methods[0], "central", "{}", r.why);
        assert!(
            r.why.contains("F failed where its smoothness along θ0"),
            "{}",
            r.why
        );
        assert_eq!(r.settings["onFailure"], "skip");
    }
}

#[test]
fn newton_f_with_a_band_near_the_start_finds_the_band() {
    // F also throws for 0.15 < θ0 < 0.18; θ0 starts at 0.14, 0.01 below it. The probes of the
    // noise and the steps stay within 0.005 of the start; the look within reach finds it.
    let (mut bb, failed) = throwing(true);
    let d = diagnose_at(&mut bb, [0.14, 0.5, 0.9]);
    assert!(
        d.failures.count > 0,
        "the band was missed: {:?}",
        d.failures
    );
    assert_eq!(d.failures.count, failed.borrow().len() as u64);
    let c0 = &d.components[0];
    let [lo, hi] = c0.failed_range.expect("the values where it failed");
    assert!(lo > 0.15 && hi < 0.18, "{lo}..{hi}");
    assert!(c0.measured, "θ0 is measured near its start: {c0:?}");
    let r = recommend(&d, &[1.0, 1.0], Some(0.001));
    assert!(r.why.contains("along θ0"), "{}", r.why);
    assert_eq!(r.settings["onFailure"], "skip");
    // NaN instead of a throw: the same.
    let n = diagnose_at(&mut newton_nan(true), [0.14, 0.5, 0.9]);
    assert_eq!(n.failures.count, d.failures.count);
}
