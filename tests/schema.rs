//! The page reads the core's tables from the generated `www/schema.js`: it must be current.

use blackbox_playground::config::{RawConfig, RunConfig};
use blackbox_playground::settings::{self, Kind, SETTINGS};

#[test]
fn the_committed_schema_js_is_what_the_core_writes() {
    let want = blackbox_playground::schema::schema_js();
    let got = std::fs::read_to_string(blackbox_playground::schema::PATH).unwrap_or_default();
    assert!(
        got == want,
        "www/schema.js is stale: run `cargo run --bin schema` and commit it"
    );
}

#[test]
fn a_range_or_label_changed_in_the_table_changes_the_config_error() {
    let mut raw = RawConfig::default();
    raw.optimizer.learning_rate = 7.0;
    assert!(RunConfig::check_settings(SETTINGS, &raw).is_ok());
    let mut table = SETTINGS.to_vec();
    let lr = table
        .iter_mut()
        .find(|s| s.path == "optimizer.learningRate")
        .unwrap();
    lr.label = "Step size";
    if let Kind::Number(r) = &mut lr.kind {
        r.max = 5.0;
    }
    let err = RunConfig::check_settings(&table, &raw).unwrap_err().0;
    assert_eq!(err, "Step size must be greater than 0 and at most 5, got 7");
}

#[test]
fn the_native_defaults_are_the_tables_defaults() {
    let raw = serde_json::to_value(RawConfig::default()).unwrap();
    for s in SETTINGS.iter().filter(|s| s.scope == settings::Scope::Run) {
        let got = settings::lookup(&raw, s.path);
        let want = s.default_value();
        assert!(
            got == &want || got.as_f64().is_some() && got.as_f64() == want.as_f64(),
            "{}: RawConfig::default() has {got}, the table {want}",
            s.path
        );
    }
}
