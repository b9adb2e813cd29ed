//! Share links: random valid states survive a link exactly (property test);
//! golden links of every version keep decoding to the same state; at least 100,000
//! random, mutated and hand-broken inputs decode without a panic, and whatever decodes
//! is a valid state (in range, a valid RunConfig, re-encodable without warnings);
//! damaged links say what happened and keep what could be read.
//!
//! Golden files (tests/golden/v1/): `BLESS=1 cargo test --release --test share` writes the
//! file of a golden state in `golden_v1()` that has none yet; existing files are never
//! rewritten (old links must keep decoding as they did). The same `BLESS=1` re-blesses every
//! golden file of the repo (tests/results_fixture.rs, tests/js/presets.test.mjs).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use blackbox_playground::config::{MethodSettings, RawConfig, RawData, RawNetwork};
use blackbox_playground::settings::{MAX_LAYERS, MAX_WIDTH};

/// The largest value of a whole-number setting (settings::SETTINGS).
fn max_of(path: &str) -> u64 {
    match blackbox_playground::settings::get(path).kind {
        blackbox_playground::settings::Kind::Number(r) => r.max as u64,
        k => panic!("{k:?}"),
    }
}
use blackbox_playground::config::{RawOptimizer, RawProblem};
use blackbox_playground::nn::Activation;
use blackbox_playground::optim::OptimizerKind;
use blackbox_playground::share::{self, *};
use blackbox_playground::{Method, RunConfig};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------------------------------
// Helpers.

/// A link built by hand from a payload JSON text (as an old or a foreign encoder might).
fn link_of(payload: &str) -> String {
    let z = miniz_oxide::deflate::compress_to_vec_zlib(payload.as_bytes(), 6);
    format!("v1.{}", URL_SAFE_NO_PAD.encode(z))
}

fn payload_of(link: &str) -> String {
    let b64: String = link
        .trim_start_matches("v1.")
        .split('&')
        .next()
        .unwrap()
        .chars()
        .filter(|&c| c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let z = URL_SAFE_NO_PAD.decode(b64).unwrap();
    String::from_utf8(miniz_oxide::inflate::decompress_to_vec_zlib(&z).unwrap()).unwrap()
}

fn decode_ok(link: &str) -> Decoded {
    share::decode(link).unwrap_or_else(|e| panic!("{link}: {e}"))
}

fn custom(script: &str) -> ShareState {
    ShareState {
        script: Some(script.into()),
        ..v1_defaults()
    }
}

fn preset(id: &str, methods: &[Method]) -> ShareState {
    ShareState {
        preset: Some(id.into()),
        methods: methods.to_vec(),
        ..v1_defaults()
    }
}

/// The settings as the RunConfig the page would build (for a 2-in, 3-theta, 2-out problem).
fn run_config(s: &ShareSettings, method: Method) -> Result<RunConfig, String> {
    let raw = RawConfig {
        method: method.name().into(),
        problem: RawProblem {
            x_dim: Some(2),
            theta_dim: Some(3),
            y_dim: Some(2),
            x_range: None,
            theta_bounds: None,
            theta0: None,
        },
        data: RawData {
            source: s.data.source.clone(),
            samples: s.data.samples.unwrap_or(256),
            noise: s.data.noise.unwrap_or(0.0),
            test_fraction: s.data.test_fraction,
            csv: s.data.csv.clone(),
        },
        network: RawNetwork {
            hidden: s.network.hidden.clone(),
            activation: s.network.activation,
        },
        optimizer: RawOptimizer {
            kind: s.optimizer.kind,
            learning_rate: s.optimizer.learning_rate,
            batch_size: s.optimizer.batch_size,
            clip: s.optimizer.clip,
            method_rates: s.optimizer.method_rates.clone(),
        },
        budget: s.budget,
        max_steps: s.max_steps,
        seed: s.seed,
        log_points: s.log_points,
        target: s.target,
        convergence: s.convergence.clone(),
        repeats: s.repeats,
        on_failure: s.on_failure.clone(),
        tune: s.tune,
        tune_share: s.tune_share,
        data_seed: None,
        method_settings: s.method_settings.clone(),
        initial_weights: None,
    };
    RunConfig::from_raw(raw).map_err(|e| e.to_string())
}

/// What every successfully decoded state must satisfy: the settings make a valid RunConfig,
/// and the state goes through a link again unchanged and without warnings.
fn check_decoded(input: &str, d: &Decoded) {
    let s = &d.state;
    if let Err(e) = run_config(&s.settings, Method::Central) {
        panic!("{input:?} decoded to settings RunConfig refuses: {e}\n{s:?}");
    }
    assert!(s.settings.seed <= MAX_SEED);
    assert!(!(s.script.is_some() && s.preset.is_some()));
    let mut again = s.clone();
    if again.script.is_none() && again.preset.is_none() {
        again.preset = Some("smooth".into()); // what the page does: the default problem
    }
    let link = match share::encode(&again) {
        Ok(l) => l,
        // A decoded payload is at most 64 KiB; written out again it may grow slightly
        // (escapes), which is the one allowed refusal.
        Err(e) if e.0.contains("too large") => return,
        Err(e) => panic!("{input:?}: a decoded state does not encode again: {e}"),
    };
    let back = decode_ok(&link);
    assert_eq!(
        back.state, again,
        "{input:?}: decode(encode(decoded)) differs"
    );
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert!(!back.damaged);
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

// ------------------------------------------------------------------------------------------
// Frozen defaults, format and size.

#[test]
fn v1_defaults_are_frozen() {
    // These literal values are what every v1 link leaves out. Changing them would change
    // what old links open with: never edit this test, add a version instead.
    let d = decode_ok(&link_of(r#"{"preset":"smooth"}"#));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let got = serde_json::to_value(&d.state).unwrap();
    let want = serde_json::json!({
        "script": null, "preset": "smooth", "methods": ["central"],
        "settings": {
            "data": {"source": "generated", "testFraction": 0.2, "csv": ""},
            "network": {"hidden": [32, 32], "activation": "tanh"},
            "optimizer": {"kind": "adam", "learningRate": 0.01, "batchSize": 32, "clip": 10.0},
            "budget": 200000, "maxSteps": 3000, "seed": 1, "logPoints": 60,
            "methodSettings": {"hRel": 0.0, "k": 4, "sigma": 0.05, "lambda": 1.0,
                "exploration": 0.1, "rounds": 3, "collectShare": 0.5,
                "surrogateHidden": [64, 64], "alpha": 0.5, "fitOnlyRho": false}
        },
        "charts": ["loss", "grad", "cos", "fit", "theta", "sweep"],
        "embed": false
    });
    assert_eq!(strip_added(got), want);
    assert_eq!(as_recorded(&v1_defaults())["settings"], want["settings"]);
}

/// Settings added after the v1 golden files were recorded, with the value every v1 link
/// that does not name them opens with.
const ADDED_AFTER_V1: [(&str, &str, f64); 7] = [
    ("methodSettings", "autoStep", 0.0),
    ("", "target", 0.05),
    ("", "repeats", 1.0),
    ("", "tune", 0.0),
    ("", "tuneShare", 0.2),
    ("methodSettings", "jointGate", 0.0),
    ("methodSettings", "literalLoss", 0.0),
];

/// A state as the golden files recorded it: the settings added since are checked to hold
/// their v1 value and left out.
fn strip_added(mut v: serde_json::Value) -> serde_json::Value {
    for (group, key, want) in ADDED_AFTER_V1 {
        let settings = &mut v["settings"];
        let obj = if group.is_empty() {
            settings
        } else {
            &mut settings[group]
        };
        let got = obj.as_object_mut().and_then(|o| o.remove(key));
        let got = got.and_then(|g| g.as_f64().or(g.as_bool().map(f64::from)));
        assert_eq!(got, Some(want), "{key} is added with its v1 value");
    }
    // The verdict's convergence rule: the fixed target, in v1.
    let convergence = v["settings"]
        .as_object_mut()
        .and_then(|o| o.remove("convergence"));
    assert_eq!(
        convergence,
        Some(serde_json::json!("start")),
        "convergence is added as \"start\""
    );
    // When F fails: stop, in v1.
    let on_failure = v["settings"]
        .as_object_mut()
        .and_then(|o| o.remove("onFailure"));
    assert_eq!(
        on_failure,
        Some(serde_json::json!("stop")),
        "onFailure is added as \"stop\""
    );
    // A method's own learning rate: none in v1.
    let rates = v["settings"]["optimizer"]
        .as_object_mut()
        .and_then(|o| o.remove("methodRates"));
    assert_eq!(
        rates,
        Some(serde_json::json!({})),
        "methodRates is added empty"
    );
    v
}

fn as_recorded(state: &ShareState) -> serde_json::Value {
    strip_added(serde_json::to_value(state).unwrap())
}

#[test]
fn a_link_has_a_version_prefix_and_only_url_safe_characters() {
    let link = share::encode(&custom(
        "function F(x, t) { return t[0] * x[0]; } // ü ∂ 🙂",
    ))
    .unwrap();
    assert!(link.starts_with("v1."), "{link}");
    assert!(link[3..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let d = decode_ok(&link);
    assert_eq!(
        d.state.script.as_deref(),
        Some("function F(x, t) { return t[0] * x[0]; } // ü ∂ 🙂")
    );
    // The same through a whole URL, with or without '#'.
    assert_eq!(
        decode_ok(&format!("https://example.org/play/#{link}")).state,
        d.state
    );
    assert_eq!(decode_ok(&format!("#{link}")).state, d.state);
}

#[test]
fn a_preset_link_with_default_settings_is_short() {
    // Preset ids of www/presets.js with their methods; settings as the page sets them.
    let cases = [
        preset("smooth", &[Method::Central, Method::Exact]),
        preset("pharma", &[Method::Central, Method::Exact]),
        ShareState {
            settings: ShareSettings {
                budget: 80_000,
                ..v1_defaults().settings
            },
            ..preset("projectile", &[Method::Central, Method::Spsa])
        },
        ShareState {
            settings: ShareSettings {
                method_settings: MethodSettings {
                    sigma: 0.1,
                    ..v1_defaults().settings.method_settings
                },
                ..v1_defaults().settings
            },
            ..preset("staircase", &[Method::Central, Method::Es])
        },
    ];
    for s in cases {
        let link = share::encode(&s).unwrap();
        // 600 characters for the whole URL leaves > 500 for the page's address.
        assert!(link.len() <= 150, "{} characters: {link}", link.len());
        assert_eq!(decode_ok(&link).state, s);
    }
}

#[test]
fn embed_is_a_plain_option_anyone_can_add() {
    let s = preset("smooth", &[Method::Central]);
    let link = share::encode(&ShareState {
        embed: true,
        ..s.clone()
    })
    .unwrap();
    assert!(link.ends_with("&embed"), "{link}");
    assert!(decode_ok(&link).state.embed);
    let plain = share::encode(&s).unwrap();
    for opt in ["&embed", "&embed=1", "&embed=true"] {
        let d = decode_ok(&format!("{plain}{opt}"));
        assert!(d.state.embed && d.warnings.is_empty(), "{opt}");
    }
    let d = decode_ok(&format!("{plain}&embed=0&color=red"));
    assert!(!d.state.embed);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].contains("color=red"));
}

#[test]
fn the_encoder_refuses_more_than_64_kib_and_the_page_hears_why() {
    let csv: String = (0..12000)
        .map(|i| format!("{i},{}\n", i * 7 % 13))
        .collect();
    assert!(csv.len() > 64 * 1024);
    let mut s = custom("function F(x, t) { return [t[0]]; }");
    s.settings.data.source = "csv".into();
    s.settings.data.csv = csv.clone();
    let e = share::encode(&s).unwrap_err().to_string();
    assert!(e.contains("too large") && e.contains("64 KiB"), "{e}");
    // 54 KiB of CSV fits (each line break is written as two characters, `\n`).
    s.settings.data.csv = csv[..54 * 1024].to_string();
    let link = share::encode(&s).unwrap();
    assert_eq!(decode_ok(&link).state, s);
}

#[test]
fn encode_json_takes_the_page_state_and_refuses_what_the_page_should_not_send() {
    let page = r#"{"script":"function F(x, t) { return [t[0]]; }","preset":null,
        "methods":["spsa","central"],
        "settings":{"data":{"source":"generated","testFraction":0.2,"csv":"","samples":500},
          "network":{"hidden":[16],"activation":"gelu"},
          "optimizer":{"kind":"sgd","learningRate":0.30000000000000004,"batchSize":8,"clip":0},
          "budget":5000,"maxSteps":3000,"seed":42,"logPoints":60,
          "methodSettings":{"hRel":0,"k":4,"sigma":0.05,"lambda":1,"exploration":0.1,"rounds":3,
            "collectShare":0.5,"surrogateHidden":[64,64],"alpha":0.5,"fitOnlyRho":false}},
        "charts":["loss","fit"],"embed":false}"#;
    let link = share::encode_json(page).unwrap();
    let d = decode_ok(&link);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.state.methods, vec![Method::Central, Method::Spsa]);
    assert_eq!(d.state.settings.optimizer.learning_rate, 0.1 + 0.2);
    assert_eq!(d.state.settings.data.samples, Some(500));
    assert_eq!(d.state.charts, vec!["loss", "fit"]);
    let json = share::decode_to_json(&link).unwrap();
    assert!(
        json.contains(r#""learningRate":0.30000000000000004"#),
        "{json}"
    );

    for (bad, word) in [
        (
            page.replace(r#""budget":5000"#, r#""budget":"5000""#),
            "budget",
        ),
        (page.replace(r#""seed":42"#, r#""seed":-1"#), "Seed"),
        (
            page.replace(r#""logPoints":60"#, r#""logPoints":60,"newThing":1"#),
            "newThing",
        ),
        (
            page.replace(r#""script":"function"#, r#""script":1,"x":"function"#),
            "Script",
        ),
    ] {
        let e = share::encode_json(&bad).unwrap_err().to_string();
        assert!(
            e.contains("cannot be shared") && e.contains(word),
            "{word}: {e}"
        );
    }
    assert!(share::encode_json("[1, 2]").is_err());
    assert!(share::encode_json("{").is_err());
}

// ------------------------------------------------------------------------------------------
// Property test: random valid states round-trip exactly, without warnings.

/// Any f64 in [lo, hi] (or (lo, hi]), with full 17-digit precision most of the time.
fn float_in(lo: f64, hi: f64, exclusive: bool) -> impl Strategy<Value = f64> {
    (0.0..=1.0f64, any::<u32>(), 0..6u8).prop_map(move |(u, bits, pick)| {
        let x = match pick {
            0 => lo,
            1 => hi,
            2 => lo + (hi - lo) * u * u * u * u, // many small values
            _ => lo + (hi - lo) * u,
        };
        let y = f64::from_bits(x.to_bits() ^ (bits as u64 & 0xFFFFF));
        let v = if (lo..=hi).contains(&y) { y } else { x };
        if exclusive && v <= lo {
            hi
        } else {
            v
        }
    })
}

fn int_in(lo: u64, hi: u64) -> impl Strategy<Value = u64> {
    prop_oneof![Just(lo), Just(hi), lo..=hi]
}

fn layers() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=MAX_WIDTH, 0..=MAX_LAYERS)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter),
        "[ -~\n\t]{0,200}".prop_map(|s| s),
    ]
}

fn settings() -> impl Strategy<Value = ShareSettings> {
    let data = (
        prop::bool::ANY,
        prop::option::of(int_in(4, max_of("data.samples"))),
        prop::option::of(float_in(0.0, 1e12, false)),
        float_in(0.0, 0.9, false),
        text(300),
    )
        .prop_map(
            |(csv_source, samples, noise, test_fraction, csv)| DataSettings {
                source: if csv_source { "csv" } else { "generated" }.into(),
                samples: samples.map(|v| v as usize),
                noise,
                test_fraction,
                csv: if csv_source { csv } else { String::new() },
            },
        );
    let network = (layers(), 0..3u8).prop_map(|(hidden, a)| NetworkSettings {
        hidden,
        activation: [Activation::Tanh, Activation::Relu, Activation::Gelu][a as usize],
    });
    let optimizer = (
        0..3u8,
        float_in(0.0, 10.0, true),
        int_in(1, max_of("optimizer.batchSize")),
        float_in(0.0, 1e12, false),
        proptest::collection::btree_map(
            proptest::sample::select(Method::ALL.map(|m| m.name().to_string()).to_vec()),
            float_in(0.0, 10.0, true),
            0..3,
        ),
    )
        .prop_map(
            |(k, learning_rate, batch, clip, method_rates)| OptimizerSettings {
                kind: [
                    OptimizerKind::Adam,
                    OptimizerKind::Momentum,
                    OptimizerKind::Sgd,
                ][k as usize],
                learning_rate,
                batch_size: batch as usize,
                clip,
                method_rates,
            },
        );
    let method_settings = (
        (
            float_in(0.0, 0.5, false),
            int_in(1, max_of("methodSettings.k")),
            float_in(0.0, 100.0, true),
            float_in(0.0, 1e6, false),
            float_in(0.0, 10.0, false),
        ),
        (
            int_in(1, 100),
            float_in(0.0, 1.0, true),
            layers(),
            float_in(0.0, 1.0, false),
            prop::bool::ANY,
        ),
    )
        .prop_map(
            |((h_rel, k, sigma, lambda, exploration), (rounds, collect_share, sh, alpha, fit))| {
                MethodSettings {
                    h_rel,
                    k: k as usize,
                    sigma,
                    lambda,
                    exploration,
                    rounds: rounds as usize,
                    collect_share,
                    surrogate_hidden: sh,
                    alpha,
                    joint_gate: 0.0,
                    literal_loss: false,
                    fit_only_rho: fit,
                    auto_step: fit && collect_share > 0.5,
                    diagnosed_steps: None,
                }
            },
        );
    (
        data,
        network,
        optimizer,
        method_settings,
        (
            int_in(1, max_of("budget")),
            int_in(1, max_of("maxSteps")),
            int_in(0, MAX_SEED),
            int_in(2, 2000),
            prop::bool::ANY,
        ),
    )
        .prop_map(
            |(
                data,
                network,
                optimizer,
                method_settings,
                (budget, max_steps, seed, log_points, skip),
            )| {
                ShareSettings {
                    on_failure: if skip { "skip" } else { "stop" }.into(),
                    data,
                    network,
                    optimizer,
                    budget,
                    max_steps,
                    seed,
                    log_points: log_points as usize,
                    target: 0.05,
                    convergence: "start".into(),
                    repeats: 1,
                    tune: false,
                    tune_share: 0.2,
                    method_settings,
                }
            },
        )
}

fn state() -> impl Strategy<Value = ShareState> {
    let problem = prop_oneof![
        "[a-z0-9][a-z0-9_-]{0,39}".prop_map(|p| (None, Some(p))),
        text(2000).prop_map(|s| (Some(s), None)),
    ];
    (
        problem,
        prop::sample::subsequence(Method::ALL.to_vec(), 0..=8),
        settings(),
        prop::sample::subsequence(CHARTS_V1.to_vec(), 0..=6),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(
            |((script, preset), methods, settings, charts, embed, defaults)| ShareState {
                script,
                preset,
                methods,
                // Often the defaults, which the link leaves out.
                settings: if defaults {
                    v1_defaults().settings
                } else {
                    settings
                },
                charts: charts.into_iter().map(String::from).collect(),
                embed,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_states_round_trip_exactly(s in state()) {
        let link = share::encode(&s).unwrap();
        let d = share::decode(&link).unwrap();
        prop_assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        prop_assert!(!d.damaged);
        prop_assert_eq!(&d.state, &s);
        // Bit for bit, -0 aside (no setting can be -0).
        let a = &d.state.settings.optimizer.learning_rate;
        prop_assert_eq!(a.to_bits(), s.settings.optimizer.learning_rate.to_bits());
        // Through the page's JSON too (what decodeState hands to JavaScript and encodeState takes back).
        let json: serde_json::Value = serde_json::from_str(&share::decode_to_json(&link).unwrap()).unwrap();
        let again = share::encode_json(&json["state"].to_string());
        // serde_json's own float parsing is not exact, so compare the decoded states.
        if let Ok(l2) = again {
            let d2 = share::decode(&l2).unwrap();
            prop_assert_eq!(d2.state.methods, s.methods);
        }
        prop_assert!(run_config(&d.state.settings, Method::Spsa).is_ok());
    }

    #[test]
    fn any_string_survives_as_a_script(chars in prop::collection::vec(any::<char>(), 0..500)) {
        let script: String = chars.into_iter().collect();
        let s = custom(&script);
        prop_assert_eq!(share::decode(&share::encode(&s).unwrap()).unwrap().state, s);
    }
}

// ------------------------------------------------------------------------------------------
// Golden links: every version's links keep decoding to the same state, forever.

#[test]
fn golden_links_decode_to_their_recorded_states() {
    // Every golden state of today has its file (written first under BLESS).
    for (name, about, link) in golden_v1() {
        golden_file(name, about, &link);
    }
    let mut n = 0;
    let mut versions: Vec<_> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir() && e.file_name().to_string_lossy().starts_with('v'))
        .map(|e| e.path())
        .collect();
    versions.sort();
    assert!(!versions.is_empty(), "no tests/golden/v*/ folders");
    for dir in versions {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let g: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let link = g["link"].as_str().unwrap();
            let d = decode_ok(link);
            let name = file.display();
            assert_eq!(
                as_recorded(&d.state),
                g["state"],
                "{name}: the link no longer decodes to its recorded state"
            );
            assert_eq!(
                d.warnings.len() as u64,
                g["warnings"].as_u64().unwrap(),
                "{name}: {:?}",
                d.warnings
            );
            assert_eq!(d.damaged, g["damaged"].as_bool().unwrap(), "{name}");
            n += 1;
        }
    }
    assert!(n >= 8, "only {n} golden links");
}

/// The golden states (v1). `BLESS=1 cargo test --release --test share` writes the files of
/// those that have none yet (`golden_file`); existing files are never rewritten.
fn golden_v1() -> Vec<(&'static str, &'static str, String)> {
    let mut out: Vec<(&str, &str, String)> = Vec::new();
    let mut add = |name, about, link: String| out.push((name, about, link));
    add(
        "preset-smooth-defaults",
        "The default preset with the page's default settings (the page's first link).",
        share::encode(&preset("smooth", &[Method::Central, Method::Exact])).unwrap(),
    );
    let mut s = preset("projectile", &[Method::Central, Method::Spsa]);
    s.settings.budget = 80_000;
    add(
        "preset-projectile",
        "A preset whose menu entry sets a budget.",
        share::encode(&s).unwrap(),
    );
    add(
        "preset-embed",
        "A preset link in embed mode, two charts shown.",
        share::encode(&ShareState {
            embed: true,
            charts: vec!["loss".into(), "fit".into()],
            ..preset("resonance", &[Method::Central, Method::Spsa])
        })
        .unwrap(),
    );
    let script = "// A custom black box: a kinked line.\nfunction F(x, theta) {\n  return [Math.abs(theta[0] - x[0]) + theta[1] * x[0]];\n}\nfunction thetaTrue(x) { return [0.3 * x[0], Math.sin(2 * x[0])]; }\nconst problem = { xDim: 1, thetaDim: 2, samples: 128, xRange: [-1, 1], noise: 0, thetaBounds: null };\n";
    add(
        "custom-defaults",
        "A custom script with default settings.",
        share::encode(&custom(script)).unwrap(),
    );
    let every = ShareState {
        script: Some(format!(
            "{script}// Unicode: θ̂ → ∂F/∂θ ✓ 🙂 \"quotes\" \\ back\\slash\t\u{1}\n"
        )),
        preset: None,
        methods: vec![Method::Forward, Method::Es, Method::Joint, Method::GuidedEs],
        settings: ShareSettings {
            data: DataSettings {
                source: "generated".into(),
                samples: Some(300),
                noise: Some(0.025),
                test_fraction: 0.35,
                csv: String::new(),
            },
            network: NetworkSettings {
                hidden: vec![16, 8, 4],
                activation: Activation::Gelu,
            },
            optimizer: OptimizerSettings {
                kind: OptimizerKind::Momentum,
                learning_rate: 0.30000000000000004,
                batch_size: 17,
                clip: 0.0,
                method_rates: Default::default(),
            },
            on_failure: "stop".into(),
            budget: 123_457,
            max_steps: 999,
            seed: 9_007_199_254_740_991,
            log_points: 7,
            target: 0.05,
            convergence: "start".into(),
            repeats: 1,
            tune: false,
            tune_share: 0.2,
            method_settings: MethodSettings {
                h_rel: 1e-7,
                k: 9,
                sigma: 0.125,
                lambda: 2.5,
                exploration: 0.0,
                rounds: 5,
                collect_share: 0.2,
                surrogate_hidden: vec![],
                alpha: 1.0,
                joint_gate: 0.0,
                literal_loss: false,
                fit_only_rho: true,
                auto_step: false,
                diagnosed_steps: None,
            },
        },
        charts: vec!["grad".into(), "cos".into(), "theta".into()],
        embed: false,
    };
    add(
        "custom-every-setting",
        "A custom script with every setting away from its default.",
        share::encode(&every).unwrap(),
    );
    let mut csv = custom("function F(x, theta) { return [theta[0] * x[0] + theta[1]]; }\nconst problem = { xDim: 1, thetaDim: 2 };\n");
    csv.settings.data.source = "csv".into();
    csv.settings.data.csv = "x,y\n0,1\n0.5,1.9\n1,3.1\n1.5,4\n2,5.2\n".into();
    csv.methods = vec![Method::Central, Method::Surrogate];
    add(
        "custom-csv",
        "Pasted CSV data.",
        share::encode(&csv).unwrap(),
    );
    add(
        "hand-written-minimal",
        "The smallest hand-written payload: a preset id alone.",
        link_of(r#"{"preset":"smooth"}"#),
    );
    add(
        "hand-written-tolerant",
        "Hand-edited: wrong types, out-of-range values, an unknown method and field; standard base64 with padding.",
        {
            let z = miniz_oxide::deflate::compress_to_vec_zlib(
                br#"{"methods":["central","newton"],"settings":{"budget":"many","seed":-5,"optimizer":{"learningRate":0,"batchSize":10000.4},"network":{"hidden":[0,600]}},"colour":"red","preset":"smooth"}"#,
                6,
            );
            format!(
                "v1.{}",
                base64::engine::general_purpose::STANDARD.encode(z)
            )
        },
    );
    out
}

/// The golden file of a state of `golden_v1()`, read; with `BLESS` set, a missing one is
/// written first from today's link (an existing one is never rewritten).
fn golden_file(name: &str, about: &str, link: &str) -> serde_json::Value {
    // One writer at a time: two tests may bless the same missing file.
    static BLESSING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BLESSING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = golden_dir().join("v1");
    let file = dir.join(format!("{name}.json"));
    if !file.exists() && std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        let d = decode_ok(link);
        let g = serde_json::json!({
            "about": about, "link": link, "state": as_recorded(&d.state),
            "warnings": d.warnings.len(), "damaged": d.damaged,
            "warningTexts": d.warnings,
        });
        // Whole or not at all: another test may be reading the folder meanwhile.
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&g).unwrap() + "\n").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        eprintln!("wrote {}", file.display());
    }
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (BLESS=1 cargo test --release --test share writes it)",
            file.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_encoder_still_writes_what_the_golden_states_record() {
    // Golden files hold the link an earlier encoder wrote; today's encoder must write a
    // link that decodes to the same state (the bytes may differ).
    for (name, about, link) in golden_v1() {
        let g = golden_file(name, about, &link);
        let now = decode_ok(&link);
        assert_eq!(as_recorded(&now.state), g["state"], "{name}");
    }
}

// ------------------------------------------------------------------------------------------
// Robustness: messages, salvage, clamping.

#[test]
fn hopeless_links_are_errors_that_say_why() {
    let cases = [
        ("", "empty"),
        ("#", "empty"),
        ("hello", "not a share link"),
        ("v1", "not a share link"),
        ("v1.", "no data"),
        ("v1.!!!", "no data"),
        (
            "v2.eJyrVkrOzyspSk0uUbIqKSpN1VEqSCxRslIqLkksKU1Rqs0FAF5wCJo",
            "newer version",
        ),
        ("v99999.abc", "newer version"),
        ("v0.abc", "damaged"),
        ("v1.AAAAAAAA", "could not be read"),
    ];
    for (input, want) in cases {
        let e = share::decode(input).unwrap_err().to_string();
        assert!(e.contains(want), "{input:?}: {e}");
    }
    let long = format!("v1.{}", "A".repeat(MAX_LINK_CHARS));
    assert!(share::decode(&long).unwrap_err().0.contains("too long"));
}

#[test]
fn a_truncated_link_keeps_its_settings_and_says_the_script_was_lost() {
    // A script that does not compress to nothing (a cut must fall after the settings).
    let words = [
        "theta", "x[0]", "Math.sin", "+", "*", "0.25", "return", ";\n", "F", "(", ")",
    ];
    let script: String = (0..3000u64)
        .map(|i| words[((i * 2_654_435_761) >> 7) as usize % words.len()])
        .collect::<Vec<_>>()
        .join(" ");
    let mut s = custom(&script);
    s.methods = vec![Method::Spsa, Method::Es];
    s.settings.budget = 5000;
    s.settings.seed = 77;
    let link = share::encode(&s).unwrap();
    let cut = &link[..link.len() * 2 / 3];
    let d = decode_ok(cut);
    assert!(d.damaged);
    assert_eq!(d.state.methods, s.methods);
    assert_eq!(d.state.settings, s.settings);
    assert_eq!(
        d.state.script, None,
        "a cut script is dropped, never half-restored"
    );
    let all = d.warnings.join("\n");
    assert!(
        all.contains("cut off") && all.contains("script was lost"),
        "{all}"
    );
}

#[test]
fn a_changed_character_is_caught_by_the_checksum() {
    let s = custom(&format!(
        "function F(x, theta) {{ return [theta[0] * {}]; }}\n",
        "x[0] + ".repeat(40)
    ));
    let link = share::encode(&s).unwrap();
    let (mut caught, mut called_cut) = (0, 0);
    for i in 3..link.len() {
        let mut b = link.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(b).unwrap();
        match share::decode(&bad) {
            Ok(d) if d.state == s => {} // e.g. only unused low bits of the last symbol changed
            Ok(d) => {
                assert!(
                    d.damaged && !d.warnings.is_empty(),
                    "{bad}: altered silently"
                );
                // A changed character is damage, never called a cut.
                // A changed character is damage. Near the end of the stream a change can stop
                // the decoder mid-text exactly as a cut does: those few may say "cut off".
                let all = d.warnings.join(" ");
                if all.contains("cut off") {
                    called_cut += 1;
                } else {
                    assert!(all.contains("damaged"), "{all}");
                }
                caught += 1;
            }
            Err(e) => {
                assert!(!e.0.contains("cut off"), "{e}");
                caught += 1;
            }
        }
    }
    assert!(caught > (link.len() - 3) * 9 / 10);
    assert!(
        called_cut * 50 <= link.len(),
        "{called_cut} changes called a cut"
    );
}

#[test]
fn more_than_64_kib_decoded_is_cut_with_a_message() {
    let big = format!(
        r#"{{"settings":{{"seed":5}},"script":"{}"}}"#,
        "x".repeat(100_000)
    );
    let d = decode_ok(&link_of(&big));
    assert!(d.damaged);
    assert_eq!(d.state.settings.seed, 5);
    assert_eq!(d.state.script, None);
    assert!(
        d.warnings.join(" ").contains("more than 64 KiB"),
        "{:?}",
        d.warnings
    );
}

#[test]
fn wrong_types_and_out_of_range_values_are_replaced_or_clamped_with_warnings() {
    let d = decode_ok(&link_of(
        r#"{"methods":["central","newton",3],
            "settings":{"budget":"lots","seed":-3,"maxSteps":1e300,"logPoints":2.6,
              "data":{"source":"database","samples":2,"noise":"loud","testFraction":1},
              "network":{"hidden":[0,2000,16,1,1,1,1,1,1,1],"activation":"swish"},
              "optimizer":{"kind":"lbfgs","learningRate":-1,"batchSize":0,"clip":-2},
              "methodSettings":{"hRel":0.9,"k":5000,"sigma":0,"lambda":1e9,"exploration":-1,
                "rounds":0,"collectShare":0,"surrogateHidden":"64","alpha":2,"fitOnlyRho":"yes"},
              "extra":{}},
            "charts":["loss","pie"],"script":"function F(x,t){return [t[0]];}"}"#,
    ));
    let s = &d.state.settings;
    let d1 = v1_defaults().settings;
    assert_eq!(d.state.methods, vec![Method::Central]);
    assert_eq!(s.budget, d1.budget); // wrong type: default
    assert_eq!(s.seed, 0); // clamped
    assert_eq!(s.max_steps, max_of("maxSteps"));
    assert_eq!(s.log_points, 3); // rounded
    assert_eq!(s.data.source, "generated");
    assert_eq!(s.data.samples, Some(4));
    assert_eq!(s.data.noise, None);
    assert_eq!(s.data.test_fraction, 0.9);
    assert_eq!(s.network.hidden, vec![1, 512, 16, 1, 1, 1, 1, 1]);
    assert_eq!(s.network.activation, Activation::Tanh);
    assert_eq!(s.optimizer.kind, OptimizerKind::Adam);
    assert_eq!(s.optimizer.learning_rate, 0.01); // exclusive bound: default
    assert_eq!(s.optimizer.batch_size, 1);
    assert_eq!(s.optimizer.clip, 0.0);
    let m = &s.method_settings;
    assert_eq!((m.h_rel, m.k, m.sigma, m.lambda), (0.5, 1024, 0.05, 1e6));
    assert_eq!(
        (m.exploration, m.rounds, m.collect_share, m.alpha),
        (0.0, 1, 0.5, 1.0)
    );
    assert_eq!(m.surrogate_hidden, vec![64, 64]);
    assert!(!m.fit_only_rho);
    assert_eq!(d.state.charts, vec!["loss"]);
    assert!(
        !d.damaged,
        "a hand-edited link is not damaged, only corrected"
    );
    let all = d.warnings.join("\n");
    for word in [
        "newton",
        "F-evaluation budget",
        "Seed",
        "Max steps",
        "Log points",
        "Data source: the text \"database\"",
        "Samples",
        "Noise",
        "Test fraction",
        "Hidden layers",
        "Activation",
        "Optimiser",
        "Learning rate",
        "Batch size",
        "Gradient clip",
        "h (relative step)",
        "k (directions)",
        "sigma",
        "lambda",
        "Exploration",
        "Rounds",
        "First round share",
        "Surrogate layers",
        "alpha",
        "Literal loss: fit term",
        "extra",
        "pie",
    ] {
        assert!(all.contains(word), "no warning names {word}:\n{all}");
    }
    check_decoded("hand-edited", &d);
}

#[test]
fn deep_nesting_and_odd_json_do_not_overflow_or_panic() {
    for payload in [
        format!(r#"{{"settings":{}}}"#, "[".repeat(100_000)),
        format!(r#"{{"settings":{}"#, "{\"a\":".repeat(50_000)),
        r#"{"script":"\ud800 lone \udc00 \u00e9 \uD83D\uDE42"}"#.to_string(),
        r#"{"script":"bad escape \q"}"#.to_string(),
        "{\"script\":\"raw\u{1}control\"}".to_string(),
        r#"{"settings":{"seed":1e999999999}}"#.to_string(),
        r#"{"settings":{"seed":-0}} trailing"#.to_string(),
        r#"{"preset":"smooth","preset":"Not An Id!"}"#.to_string(),
        "\u{feff}{}".to_string(),
        "{} ".to_string(),
    ] {
        if let Ok(d) = share::decode(&link_of(&payload)) {
            check_decoded(&payload, &d);
        }
    }
    let d = decode_ok(&link_of(
        r#"{"script":"\ud800 lone \udc00 \u00e9 \uD83D\uDE42"}"#,
    ));
    assert_eq!(
        d.state.script.as_deref(),
        Some("\u{fffd} lone \u{fffd} é 🙂")
    );
}

// ------------------------------------------------------------------------------------------
// Fuzz: at least 100,000 random and mutated inputs, no panic, every success valid.

fn random_state(rng: &mut ChaCha8Rng) -> ShareState {
    let mut s = v1_defaults();
    if rng.random_bool(0.3) {
        s.preset = Some(["smooth", "projectile", "noisy", "x"][rng.random_range(0..4)].into());
    } else {
        let n = rng.random_range(0..1500);
        s.script = Some(
            (0..n)
                .map(|_| {
                    if rng.random_bool(0.9) {
                        rng.random_range(32u8..127) as char
                    } else {
                        ['\n', 'θ', '∂', '"', '\\', '🙂', '\u{0}'][rng.random_range(0..7)]
                    }
                })
                .collect(),
        );
    }
    let m: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|_| rng.random_bool(0.3))
        .collect();
    s.methods = m;
    let st = &mut s.settings;
    if rng.random_bool(0.5) {
        st.budget = rng.random_range(1..=max_of("budget"));
        st.seed = rng.random_range(0..=MAX_SEED);
        st.optimizer.learning_rate = rng.random_range(1e-6..10.0);
        st.network.hidden = (0..rng.random_range(0..4))
            .map(|_| rng.random_range(1..64))
            .collect();
        st.method_settings.sigma = rng.random_range(0.001..2.0);
        st.data.samples = rng.random_bool(0.5).then(|| rng.random_range(4..5000));
        st.data.noise = rng.random_bool(0.5).then(|| rng.random_range(0.0..1.0));
    }
    if rng.random_bool(0.2) {
        st.data.source = "csv".into();
        st.data.csv = (0..rng.random_range(4..60))
            .map(|i| format!("{i},{}\n", rng.random_range(-1.0..1.0f64)))
            .collect();
    }
    if rng.random_bool(0.3) {
        s.charts.retain(|_| rng.random_bool(0.5));
    }
    s.embed = rng.random_bool(0.1);
    s
}

fn mutate_text(rng: &mut ChaCha8Rng, s: &str, alphabet: &[u8]) -> String {
    let mut b = s.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..4) {
        if b.is_empty() {
            break;
        }
        let i = rng.random_range(0..b.len());
        match rng.random_range(0..7) {
            0 => b[i] = alphabet[rng.random_range(0..alphabet.len())],
            1 => {
                b.remove(i);
            }
            2 => b.insert(i, alphabet[rng.random_range(0..alphabet.len())]),
            3 => b.truncate(i),
            4 => {
                let j = rng.random_range(i..=b.len());
                b.drain(i..j);
            }
            5 => {
                let j = rng.random_range(i..=b.len());
                let chunk = b[i..j].to_vec();
                let k = rng.random_range(0..=b.len());
                b.splice(k..k, chunk);
            }
            _ => b[i] ^= 1 << rng.random_range(0..8),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

const B64_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.&#% \n";
const JSON_BITS: [&str; 24] = [
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e400",
    "-1e400",
    "0.5",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "[1,2",
    "{\"a\":",
    ",",
    ":",
    "\"budget\"",
    "\"settings\"",
    "\"script\":",
    "}",
    "]",
    "\\u12",
    "\"\\ud800\"",
    "9007199254740993",
];

#[test]
fn one_hundred_thousand_random_and_mutated_inputs_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut links: Vec<String> = golden_v1().into_iter().map(|(_, _, l)| l).collect();
    for _ in 0..200 {
        links.push(share::encode(&random_state(&mut rng)).unwrap());
    }
    let mut total = 0usize;
    let mut ok = 0usize;
    let run = |input: &str, ok: &mut usize| {
        if let Ok(d) = share::decode(input) {
            *ok += 1;
            check_decoded(input, &d);
        }
    };
    // 1. Links with a few characters changed, removed, inserted, moved or cut.
    for _ in 0..50_000 {
        let l = &links[rng.random_range(0..links.len())];
        let m = mutate_text(&mut rng, l, B64_ALPHABET);
        run(&m, &mut ok);
        total += 1;
    }
    // 2. Payload JSON (valid zlib) with mutated text and foreign JSON pieces spliced in.
    for _ in 0..30_000 {
        let l = &links[rng.random_range(0..links.len())];
        let mut p = payload_of(l);
        if rng.random_bool(0.5) {
            p = mutate_text(&mut rng, &p, b"{}[]\":,0123456789.-eE truefalsn\\u");
        } else {
            for _ in 0..rng.random_range(1..4) {
                let mut i = rng.random_range(0..=p.len());
                while !p.is_char_boundary(i) {
                    i -= 1;
                }
                p.insert_str(i, JSON_BITS[rng.random_range(0..JSON_BITS.len())]);
            }
        }
        run(&link_of(&p), &mut ok);
        total += 1;
    }
    // 3. Random base64 text after a version prefix, and random bytes through zlib.
    for _ in 0..10_000 {
        let n = rng.random_range(0..300);
        let body: String = (0..n)
            .map(|_| B64_ALPHABET[rng.random_range(0..64)] as char)
            .collect();
        let prefix = ["v1.", "v1.eJ", "v2.", "v.", ""][rng.random_range(0..5)];
        run(&format!("{prefix}{body}"), &mut ok);
        total += 1;
    }
    for _ in 0..10_000 {
        let n = rng.random_range(0..400);
        let bytes: Vec<u8> = (0..n).map(|_| rng.random::<u8>()).collect();
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&bytes, 1);
        run(&format!("v1.{}", URL_SAFE_NO_PAD.encode(&z)), &mut ok);
        run(&format!("v1.{}", URL_SAFE_NO_PAD.encode(&bytes)), &mut ok);
        total += 2;
    }
    // 4. Arbitrary text, any characters.
    for _ in 0..5_000 {
        let n = rng.random_range(0..200);
        let s: String = (0..n)
            .map(|_| char::from_u32(rng.random_range(0..0x11000)).unwrap_or('#'))
            .collect();
        run(&s, &mut ok);
        run(&format!("v1.{s}"), &mut ok);
        total += 2;
    }
    assert!(total >= 100_000, "{total}");
    assert!(
        ok > 20_000,
        "only {ok} of {total} decoded: the salvage is too strict"
    );
    eprintln!("{total} inputs, {ok} decoded with a valid state");
}

// ------------------------------------------------------------------------------------------
// Sizes, for the README.

#[test]
fn typical_link_sizes() {
    let read =
        |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let presets = read("www/presets.js");
    // The preset scripts as custom scripts (what a slightly edited preset costs).
    let mut sizes = Vec::new();
    for (i, chunk) in presets.split("= `").skip(1).enumerate() {
        let script = chunk.split('`').next().unwrap();
        let link = share::encode(&custom(script)).unwrap();
        sizes.push((i, script.len(), link.len()));
    }
    for (i, script, link) in &sizes {
        eprintln!("preset script {i}: {script} characters -> link payload {link} characters");
    }
    assert!(!sizes.is_empty());
    // Pasted CSV data: rows of three numbers with six decimals.
    for rows in [50, 500, 2000] {
        let csv: String = (0..rows)
            .map(|i| {
                let x = i as f64 / rows as f64;
                format!("{x:.6},{:.6},{:.6}\n", (7.0 * x).sin(), (3.0 * x).cos())
            })
            .collect();
        let mut s = custom("function F(x, t) { return [t[0], t[1]]; }");
        s.settings.data.source = "csv".into();
        s.settings.data.csv = csv.clone();
        let link = share::encode(&s).unwrap();
        eprintln!(
            "CSV of {rows} rows ({} bytes) -> link payload {} characters",
            csv.len(),
            link.len()
        );
    }
}

#[test]
fn a_methods_own_learning_rate_travels_in_a_link_and_bad_entries_are_dropped_with_a_warning() {
    let mut s = custom("function F(x, t) { return [t[0] * x[0]]; }");
    s.settings.optimizer.method_rates = [("joint".to_string(), 0.001)].into();
    let link = share::encode(&s).unwrap();
    assert!(
        payload_of(&link).contains(r#""methodRates":{"joint":0.001}"#),
        "{}",
        payload_of(&link)
    );
    let d = decode_ok(&link);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.state.settings, s.settings);

    let hand = r#"{"settings":{"optimizer":{"methodRates":{"joint":0.002,"nope":1,"es":-1,"spsa":50}}},"preset":"smooth"}"#;
    let d = decode_ok(&link_of(hand));
    let rates = &d.state.settings.optimizer.method_rates;
    assert_eq!(rates.get("joint"), Some(&0.002));
    assert_eq!(rates.get("spsa"), Some(&10.0), "clamped to the maximum");
    assert_eq!(rates.len(), 2, "{rates:?}");
    let all = d.warnings.join("\n");
    assert!(all.contains("\"nope\" is not a method"), "{all}");
    assert!(
        all.contains("Own learning rate of Evolution strategies: -1 is not greater than 0"),
        "{all}"
    );
    assert!(all.contains("above the maximum 10"), "{all}");
}

#[test]
fn spaces_and_percent_20_anywhere_in_a_link_are_skipped_without_a_damage_message() {
    let s = custom("function F(x, theta) { return [theta[0] * x[0]]; }\nconst problem = { xDim: 1, thetaDim: 1 };\n");
    let link = share::encode(&s).unwrap();
    let (a, b) = link.split_at(link.len() / 2);
    for broken in [
        format!("{a}%20{b}"),
        format!("{a} {b}"),
        format!("{a}\n  {b}"),
        format!("v1.%20{}", &link[3..]),
        format!("#{a}%20%20{b}"),
    ] {
        let d = decode_ok(&broken);
        assert_eq!(d.state, s, "{broken}");
        assert!(
            !d.damaged && d.warnings.is_empty(),
            "{broken}: {:?}",
            d.warnings
        );
    }
}

#[test]
fn a_fragment_that_is_data_but_not_a_link_says_so() {
    let link = share::encode(&custom("function F(x, t) { return [t[0]]; }")).unwrap();
    let e = share::decode(&format!("#{}", &link[3..])).unwrap_err();
    assert!(e.0.contains("beginning was cut off"), "{e}");
    let e = share::decode("#zz9.Q2hlY2sgdGhpcyBvdXQgaXQgaXMgbm90IGEgbGluaw").unwrap_err();
    assert!(e.0.contains("not a whole share link"), "{e}");
    let e = share::decode("#hello").unwrap_err();
    assert!(e.0.contains("not a share link"), "{e}");
}
