//! ES with the surrogate as a control variate (`cv-es`) and the standard error every
//! stochastic estimate reports: unbiased whatever the surrogate, far less variance with a
//! good one, and error bars that hold about 68% of the time.
#![allow(clippy::needless_range_loop)] // index notation mirrors the formulas

mod common;
use blackbox_playground::estimate::{
    cv_es_loss_and_grad, loss_and_grad, standard_errors, Batch, CvEs, Estimator, LossGrad,
    Surrogate,
};
use blackbox_playground::problem::{CountedBox, Purpose};
use blackbox_playground::BlackBox;
use common::quadratic;
use ndarray::{Array2, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const P: usize = 6;
const ONES: [f64; P] = [1.0; P];

struct Point {
    x: Array2<f64>,
    theta: Array2<f64>,
    y: Array2<f64>,
}

fn point() -> Point {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    Point {
        x: Array2::from_shape_fn((1, 1), |_| rng.random_range(-1.0..1.0)),
        theta: Array2::from_shape_fn((1, P), |_| rng.random_range(-2.0..2.0)),
        y: Array2::from_shape_fn((1, 2), |_| rng.random_range(-1.0..1.0)),
    }
}

fn batch(p: &Point) -> Batch<'_> {
    Batch::new(p.x.view(), p.theta.view(), p.y.view())
}

fn truth(p: &Point) -> Vec<f64> {
    let mut bb = CountedBox::new(Box::new(quadratic()));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let lg = loss_and_grad(
        Estimator::Exact,
        &mut bb,
        Purpose::Learning,
        batch(p),
        &mut rng,
        false,
    )
    .unwrap();
    lg.grad.iter().copied().collect()
}

/// F~ = the quadratic itself (a perfect surrogate).
fn perfect(x: ArrayView2<f64>, t: ArrayView2<f64>) -> Array2<f64> {
    let mut q = quadratic();
    let mut out = Array2::zeros((x.nrows(), 2));
    let (xs, ts) = (x.as_standard_layout(), t.as_standard_layout());
    q.eval_batch(
        xs.as_slice().unwrap(),
        ts.as_slice().unwrap(),
        out.as_slice_mut().unwrap(),
    )
    .unwrap();
    out
}

/// A deliberately wrong F~: curved where F is not, so its smoothed gradient differs from its
/// gradient, and unrelated to F.
fn wrong(_x: ArrayView2<f64>, t: ArrayView2<f64>) -> Array2<f64> {
    Array2::from_shape_fn((t.nrows(), 2), |(r, k)| {
        (0..P)
            .map(|j| (3.0 * t[[r, j]] + k as f64).sin() * (j + 1) as f64)
            .sum::<f64>()
            + t[[r, 0]].powi(3)
    })
}

type Sur = fn(ArrayView2<f64>, ArrayView2<f64>) -> Array2<f64>;

/// `J~^T w` of `sur` per row, by central differences (any gradient keeps cv-es unbiased; a
/// right one lowers its variance).
fn sur_grad(sur: Sur, x: ArrayView2<f64>, t: ArrayView2<f64>, w: ArrayView2<f64>) -> Array2<f64> {
    let h = 1e-6;
    Array2::from_shape_fn((t.nrows(), P), |(i, j)| {
        let (mut tp, mut tm) = (t.to_owned(), t.to_owned());
        tp[[i, j]] += h;
        tm[[i, j]] -= h;
        let (a, b) = (sur(x, tp.view()), sur(x, tm.view()));
        (0..w.ncols())
            .map(|o| (a[[i, o]] - b[[i, o]]) / (2.0 * h) * w[[i, o]])
            .sum()
    })
}

fn cv_es(p: &Point, c: f64, k: usize, rng: &mut ChaCha8Rng, sur: Sur) -> LossGrad {
    let mut bb = CountedBox::new(Box::new(quadratic()));
    let cs = [c; P];
    let cv = CvEs {
        k,
        sigma: 0.3,
        scale: &ONES,
        c: &cs,
        mc: 4,
    };
    let mut s = sur;
    let mut g = |x: ArrayView2<f64>, t: ArrayView2<f64>, w: ArrayView2<f64>| sur_grad(sur, x, t, w);
    let sur = Surrogate {
        values: &mut s,
        grad: &mut g,
    };
    cv_es_loss_and_grad(cv, &mut bb, Purpose::Learning, batch(p), rng, sur, false)
        .unwrap()
        .lg
}

fn es(p: &Point, k: usize, rng: &mut ChaCha8Rng) -> LossGrad {
    let mut bb = CountedBox::new(Box::new(quadratic()));
    let est = Estimator::Es {
        k,
        sigma: 0.3,
        scale: &ONES,
    };
    loss_and_grad(est, &mut bb, Purpose::Learning, batch(p), rng, false).unwrap()
}

/// Mean and per-component variance of `draws` seeded estimates.
fn moments(draws: usize, mut one: impl FnMut(&mut ChaCha8Rng) -> Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let (mut sum, mut sq) = (vec![0.0; P], vec![0.0; P]);
    for _ in 0..draws {
        let g = one(&mut rng);
        for j in 0..P {
            sum[j] += g[j];
            sq[j] += g[j] * g[j];
        }
    }
    let n = draws as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let var = (0..P)
        .map(|j| (sq[j] / n - mean[j] * mean[j]) * n / (n - 1.0))
        .collect();
    (mean, var)
}

/// Estimates averaged by the unbiasedness check.
const UNBIASED_DRAWS: usize = 4000;

/// How far the mean of `draws` estimates may sit from the truth in a component whose
/// estimates have variance `var`: four standard errors.
fn unbiased_tolerance(var: f64, draws: usize) -> f64 {
    4.0 * (var / draws as f64).sqrt()
}

/// The unbiasedness check: every component's mean within its tolerance of the truth, else
/// what the first component off says. Used by the test and by its guard below.
fn check_unbiased(mean: &[f64], var: &[f64], truth: &[f64], draws: usize) -> Result<(), String> {
    for j in 0..P {
        let tol = unbiased_tolerance(var[j], draws);
        if (mean[j] - truth[j]).abs() > tol {
            return Err(format!(
                "component {j}: mean {} vs {} (tolerance {tol})",
                mean[j], truth[j]
            ));
        }
    }
    Ok(())
}

#[test]
fn cv_es_is_unbiased_for_the_smoothed_gradient_with_a_deliberately_wrong_surrogate() {
    let p = point();
    let truth = truth(&p);
    let norm = truth.iter().map(|v| v * v).sum::<f64>().sqrt();
    for c in [1.0, 0.6] {
        let draws = UNBIASED_DRAWS;
        let (mean, var) = moments(draws, |rng| {
            cv_es(&p, c, 4, rng, wrong).grad.iter().copied().collect()
        });
        for j in 0..P {
            let tol = unbiased_tolerance(var[j], draws);
            assert!(
                tol < 0.1 * norm,
                "c={c}: tolerance {tol} too loose against |g| = {norm}"
            );
        }
        if let Err(e) = check_unbiased(&mean, &var, &truth, draws) {
            panic!("c={c}, {e}");
        }
    }
}

#[test]
fn the_unbiasedness_check_fails_an_estimate_ten_percent_off() {
    // The same check, tolerance and draws as the test above, on estimates 10% too large.
    let p = point();
    let truth = truth(&p);
    let draws = UNBIASED_DRAWS;
    let (mean, var) = moments(draws, |rng| {
        cv_es(&p, 1.0, 4, rng, wrong)
            .grad
            .iter()
            .map(|g| 1.1 * g)
            .collect()
    });
    assert!(
        check_unbiased(&mean, &var, &truth, draws).is_err(),
        "a 10% bias must show"
    );
}

#[test]
fn with_a_good_surrogate_cv_es_has_at_least_four_times_less_variance_than_es_at_equal_k() {
    let p = point();
    let draws = 2000;
    let (_, v_es) = moments(draws, |rng| es(&p, 4, rng).grad.iter().copied().collect());
    let (_, v_cv) = moments(draws, |rng| {
        cv_es(&p, 1.0, 4, rng, perfect)
            .grad
            .iter()
            .copied()
            .collect()
    });
    let (a, b): (f64, f64) = (v_es.iter().sum(), v_cv.iter().sum());
    assert!(
        a >= 4.0 * b,
        "variance: ES {a:e}, cv-es {b:e} ({:.1}x)",
        a / b
    );
    // c = 0 is plain ES's variance again (the control variate off).
    let (_, v_off) = moments(draws, |rng| {
        cv_es(&p, 0.0, 4, rng, perfect)
            .grad
            .iter()
            .copied()
            .collect()
    });
    let off: f64 = v_off.iter().sum();
    assert!(
        off > 0.7 * a && off < 1.4 * a,
        "c = 0: {off:e} against ES {a:e}"
    );
}

/// Share of components whose error lies within one standard error, over seeded draws.
fn coverage(mut one: impl FnMut(&mut ChaCha8Rng) -> LossGrad, truth: &[f64]) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut inside, mut all) = (0, 0);
    for _ in 0..1500 {
        let lg = one(&mut rng);
        let draws: Vec<Vec<f64>> = lg
            .directions
            .iter()
            .map(|d| d.iter().copied().collect())
            .collect();
        let (mean, se) = standard_errors(&draws).unwrap();
        for j in 0..truth.len() {
            assert!(
                (mean[j] - lg.grad[[0, j]]).abs() < 1e-9 * (1.0 + mean[j].abs()),
                "the directions average to the estimate"
            );
            inside += usize::from((lg.grad[[0, j]] - truth[j]).abs() <= se[j]);
            all += 1;
        }
    }
    inside as f64 / all as f64
}

#[test]
fn the_standard_error_of_es_spsa_and_cv_es_holds_about_68_percent_of_the_errors() {
    // k = 32 directions: Student's t with 31 degrees of freedom puts 67.5% within one SE.
    let p = point();
    let truth = truth(&p);
    let k = 32;
    let spsa = |rng: &mut ChaCha8Rng| {
        let mut bb = CountedBox::new(Box::new(quadratic()));
        loss_and_grad(
            Estimator::Spsa {
                k,
                c: 0.3,
                scale: &ONES,
            },
            &mut bb,
            Purpose::Learning,
            batch(&p),
            rng,
            false,
        )
        .unwrap()
    };
    for (name, share) in [
        ("es", coverage(|rng| es(&p, k, rng), &truth)),
        ("spsa", coverage(spsa, &truth)),
        (
            "cv-es",
            coverage(|rng| cv_es(&p, 0.7, k, rng, wrong), &truth),
        ),
    ] {
        assert!(
            (0.62..=0.73).contains(&share),
            "{name}: {:.1}% within one standard error",
            100.0 * share
        );
    }
}
