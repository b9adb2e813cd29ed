//! The error band means what it says: on a problem with a known gradient (a quadratic, on
//! which ES and SPSA are unbiased), the relative gradient error lies within 1.96 of the
//! logged standard errors in 90-98% of log points, at the default k = 4 and at k = 32.

mod common;

use common::{quadratic, run};

/// Share of log points whose error lies within 1.96 standard errors, over seeds.
fn coverage(method: &str, k: usize) -> (f64, usize) {
    let (mut inside, mut all) = (0usize, 0usize);
    let mut ratios = vec![];
    for seed in 1..=12 {
        // A smooth policy to learn: theta_j = 0.5 sin(pi (x + j/6)).
        let bb = quadratic().with_theta_true(|x, t| {
            for (j, tj) in t.iter_mut().enumerate() {
                *tj = 0.5 * (std::f64::consts::PI * (x[0] + j as f64 / 6.0)).sin();
            }
        });
        let s = run(method, bb, |c| {
            c.budget = 40_000;
            c.max_steps = 0;
            c.seed = seed;
            c.method_settings.k = k;
        });
        for h in s.history() {
            if let (Some(err), Some(se)) = (h.grad_rel_err, h.grad_se) {
                inside += usize::from(err <= 1.96 * se);
                ratios.push(err / (1.96 * se));
                all += 1;
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    let q = |p: f64| ratios[(p * (ratios.len() - 1) as f64) as usize];
    eprintln!(
        "error / (1.96 SE) quantiles 50/90/95/99%: {:.2} {:.2} {:.2} {:.2}",
        q(0.5),
        q(0.9),
        q(0.95),
        q(0.99)
    );
    (inside as f64 / all as f64, all)
}

#[test]
fn the_error_band_holds_about_95_percent_of_errors_at_k_4_and_k_32() {
    for method in ["es", "spsa"] {
        for k in [4, 32] {
            let (share, n) = coverage(method, k);
            eprintln!(
                "{method} k = {k}: {:.1}% of {n} log points within 1.96 SE",
                100.0 * share
            );
            assert!(
                (0.90..=0.98).contains(&share),
                "{method} k = {k}: {:.1}% of {n} log points within 1.96 SE",
                100.0 * share
            );
        }
    }
}
