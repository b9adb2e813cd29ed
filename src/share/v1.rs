//! Version 1 of the link format: what is frozen about it. The defaults a v1 link leaves
//! out, its top-level fields, its charts and its preset ids. NEVER change these: links
//! written with them must keep opening as they did, whatever the page's defaults (in
//! `settings::SETTINGS`) become. A change adds a version instead. The values differ from
//! the table's current defaults where the page moved on; the tests below pin every one.

use super::{DataSettings, NetworkSettings, OptimizerSettings, ShareSettings, ShareState};
use crate::config::{Method, MethodSettings};
use crate::nn::Activation;
use crate::optim::OptimizerKind;
use serde_json::Value;

/// Charts a v1 link can show or hide, in page order.
pub const CHARTS_V1: [&str; 6] = ["loss", "grad", "cos", "fit", "theta", "sweep"];
/// Longest preset id.
pub const MAX_PRESET_ID: usize = 40;
/// The fields of a v1 payload (the page's state adds `embed`, a plain option in a link).
pub(super) const TOP_KEYS: [&str; 5] = ["methods", "settings", "charts", "preset", "script"];

/// The CSV data: the one part of v1's settings that is not in `settings::SETTINGS` (it is
/// a text area, not a setting). It travels only when the data come from CSV.
pub(super) const CSV_PATH: &str = "data.csv";

/// The settings a v1 link leaves out. Frozen: links written with them must keep opening
/// with them, whatever the page's defaults become.
pub fn v1_defaults() -> ShareState {
    ShareState {
        script: None,
        preset: None,
        methods: vec![Method::Central],
        settings: ShareSettings {
            data: DataSettings {
                source: "generated".into(),
                samples: None,
                noise: None,
                test_fraction: 0.2,
                csv: String::new(),
            },
            network: NetworkSettings {
                hidden: vec![32, 32],
                activation: Activation::Tanh,
            },
            optimizer: OptimizerSettings {
                kind: OptimizerKind::Adam,
                learning_rate: 0.01,
                batch_size: 32,
                clip: 10.0,
                method_rates: Default::default(),
            },
            budget: 200_000,
            max_steps: 3000,
            seed: 1,
            log_points: 60,
            target: 0.05,
            convergence: "start".into(),
            repeats: 1,
            on_failure: "stop".into(),
            tune: false,
            tune_share: 0.2,
            method_settings: MethodSettings {
                h_rel: 0.0,
                k: 4,
                sigma: 0.05,
                lambda: 1.0,
                exploration: 0.1,
                rounds: 3,
                collect_share: 0.5,
                surrogate_hidden: vec![64, 64],
                alpha: 0.5,
                joint_gate: 0.0,
                literal_loss: false,
                fit_only_rho: false,
                auto_step: false,
                diagnosed_steps: None,
            },
        },
        charts: CHARTS_V1.iter().map(|c| c.to_string()).collect(),
        embed: false,
    }
}

/// A preset id: 1 to 40 of `a-z 0-9 - _`, starting with a letter or digit.
pub fn valid_preset_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PRESET_ID
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// v1's default settings as JSON, to look a setting's default up by its path.
pub(super) fn settings_value() -> Value {
    serde_json::to_value(v1_defaults().settings).expect("plain data serializes to JSON")
}

/// Whether settings carry their CSV data: only when the data come from CSV.
pub(super) fn keeps_csv(s: &ShareSettings) -> bool {
    s.data.source == "csv"
}

/// Empties CSV data the settings do not use.
pub(super) fn drop_unused_csv(s: &mut ShareSettings) {
    if !keeps_csv(s) {
        s.data.csv.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{lookup, Kind, SETTINGS};

    #[test]
    fn every_v1_default_is_pinned() {
        // The one place for literals: these values are what every v1 link leaves out, and
        // links made years ago open with them. Never edit this test; add a version instead.
        // Exact JSON text (shortest round-trip floats), so a float one unit off fails too. (`samples` and `noise` have no
        // v1 default: a link without them takes the script's values.)
        let want = concat!(
            r#"{"script":null,"preset":null,"methods":["central"],"settings":{"#,
            r#""data":{"source":"generated","testFraction":0.2,"csv":""},"#,
            r#""network":{"hidden":[32,32],"activation":"tanh"},"#,
            r#""optimizer":{"kind":"adam","learningRate":0.01,"batchSize":32,"clip":10.0,"methodRates":{}},"#,
            r#""budget":200000,"maxSteps":3000,"seed":1,"logPoints":60,"target":0.05,"convergence":"start","repeats":1,"onFailure":"stop","tune":false,"tuneShare":0.2,"#,
            r#""methodSettings":{"hRel":0.0,"k":4,"sigma":0.05,"lambda":1.0,"exploration":0.1,"#,
            r#""rounds":3,"collectShare":0.5,"surrogateHidden":[64,64],"alpha":0.5,"#,
            r#""jointGate":0.0,"literalLoss":false,"fitOnlyRho":false,"autoStep":false}},"#,
            r#""charts":["loss","grad","cos","fit","theta","sweep"],"embed":false}"#,
        );
        assert_eq!(serde_json::to_string(&v1_defaults()).unwrap(), want);
    }

    /// The dotted paths of the values (not objects) in a JSON object.
    fn leaves(v: &Value, at: &str, out: &mut Vec<String>) {
        match v.as_object() {
            // An empty object is a value: a per-method setting with no entries.
            Some(o) if !o.is_empty() => o.iter().for_each(|(k, v)| {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                leaves(v, &path, out)
            }),
            _ => out.push(at.to_string()),
        }
    }

    #[test]
    fn every_run_setting_of_the_table_has_a_v1_default_that_the_table_accepts() {
        let v1 = settings_value();
        let mut expected = vec![CSV_PATH.to_string()];
        for s in super::super::run_settings() {
            let d = lookup(&v1, s.path);
            if matches!(s.kind, Kind::Number(r) if r.optional) {
                assert!(
                    d.is_null(),
                    "{}: an optional number has no v1 default",
                    s.path
                );
                continue;
            }
            assert!(
                !d.is_null(),
                "{} has no v1 default: add a link version",
                s.path
            );
            assert_eq!(s.check(d), Ok(()), "{}", s.path);
            expected.push(s.path.to_string());
        }
        // And nothing else: every v1 default is a setting of the table, or the CSV data.
        let mut got = Vec::new();
        leaves(&v1, "", &mut got);
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
        assert!(
            SETTINGS.iter().any(|s| s.path == "watchdog"),
            "page settings stay out"
        );
    }

    #[test]
    fn the_v1_defaults_go_through_json_unchanged() {
        let back: ShareSettings = serde_json::from_value(settings_value()).unwrap();
        assert_eq!(back, v1_defaults().settings);
    }
}
