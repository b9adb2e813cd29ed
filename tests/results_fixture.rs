//! A fixed configuration per method gives the same history, bit for bit, as the committed
//! fixture: refactors must not change a result.
//!
//! Golden file (tests/golden/results-fixture.txt): `BLESS=1 cargo test --release --test
//! results_fixture` rewrites it; do that only for a change meant to alter results, and say
//! why in the commit. The same `BLESS=1` re-blesses every golden file of the repo
//! (tests/share.rs, tests/js/presets.test.mjs).

mod common;

use blackbox_playground::config::Method;
use common::{run, smooth_map};
use std::fmt::Write;

const FIXTURE: &str = "tests/golden/results-fixture.txt";

/// Every number of every history row, as exact bits (hex) so no formatting can hide a change.
fn describe(method: Method) -> String {
    let s = run(method.name(), smooth_map(), |r| {
        r.budget = 6_000;
        r.log_points = 6;
        r.seed = 7;
        r.data.samples = 64;
        // Written out, so that a change of a default does not change the fixture.
        r.method_settings.collect_share = 0.3;
        r.method_settings.rounds = 8;
        r.max_steps = 3000;
    });
    let mut out = format!("{} stop={:?}\n", method.name(), s.stop_reason());
    for h in s.history() {
        let bits: Vec<String> = h
            .to_array()
            .iter()
            .map(|v| format!("{:016x}", v.to_bits()))
            .collect();
        writeln!(out, "  {}", bits.join(" ")).unwrap();
    }
    out
}

#[test]
fn every_method_gives_the_fixture_history_bit_for_bit() {
    let text: String = Method::ALL.into_iter().map(describe).collect();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(FIXTURE, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(FIXTURE)
        .expect("fixture exists (BLESS=1 cargo test --release --test results_fixture writes it)");
    for (got, want) in text.split("\n").zip(want.split("\n")) {
        assert_eq!(got, want, "a history differs from {FIXTURE}");
    }
    assert_eq!(text.len(), want.len(), "the fixture has other runs");
}
