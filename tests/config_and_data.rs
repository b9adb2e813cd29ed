//! Settings are checked once with messages that say what to change; data come from
//! thetaTrue or CSV, and a bad CSV names the row and column at fault; an F that fails
//! ends the run with its message and keeps the history.

mod common;
use blackbox_playground::config::RawConfig;
use blackbox_playground::data::{parse_csv, read_csv};
use blackbox_playground::{Dims, FnBlackBox, RunConfig, Session, SessionError, StopReason};
use common::*;

fn error_of(json: &str) -> String {
    RunConfig::from_json(json).unwrap_err().to_string()
}

#[test]
fn an_unknown_method_is_named_with_the_valid_ones() {
    let e = error_of(r#"{"method":"newton","problem":{"xDim":1,"thetaDim":1,"yDim":1}}"#);
    assert!(
        e.contains("\"newton\"") && e.contains("central") && e.contains("guided-es"),
        "{e}"
    );
}

#[test]
fn missing_dimensions_say_where_to_set_them() {
    let e = error_of(r#"{"method":"central","problem":{"xDim":1,"thetaDim":1}}"#);
    assert!(e.contains("problem.yDim") && e.contains("script"), "{e}");
}

#[test]
fn out_of_range_settings_are_refused_with_their_range() {
    let base = |f: &dyn Fn(&mut RawConfig)| {
        let mut raw = RawConfig::default();
        raw.problem.x_dim = Some(1);
        raw.problem.theta_dim = Some(1);
        raw.problem.y_dim = Some(1);
        f(&mut raw);
        RunConfig::from_raw(raw)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(base(&|c| c.optimizer.learning_rate = -1.0).contains("Learning rate"));
    assert!(base(&|c| c.optimizer.batch_size = 0).contains("Batch size"));
    assert!(base(&|c| c.budget = 0).contains("F-evaluation budget"));
    assert!(base(&|c| c.network.hidden = vec![32, 0]).contains("Hidden layers"));
    assert!(base(&|c| c.problem.theta_bounds = Some(vec![(1.0, 0.0)])).contains("thetaBounds[0]"));
    assert!(base(&|c| c.method_settings.alpha = 2.0).contains("alpha"));
}

#[test]
fn wrong_json_types_are_reported_not_panicked() {
    let e = error_of(r#"{"budget":"lots"}"#);
    assert!(e.contains("run settings are not valid"), "{e}");
}

#[test]
fn settings_that_disagree_with_f_are_refused() {
    let cfg = config(
        "central",
        Dims {
            x: 2,
            theta: 4,
            y: 2,
        },
        |_| {},
    );
    let e = Session::new(cfg, Box::new(smooth_map()))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("thetaDim=4") && e.contains("thetaDim=3"), "{e}");
}

#[test]
fn the_analytic_gradient_without_df_asks_for_df() {
    let cfg = config(
        "exact",
        Dims {
            x: 2,
            theta: 3,
            y: 2,
        },
        |_| {},
    );
    let e = Session::new(cfg, Box::new(rounded_map()))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("dF(x, theta)"), "{e}");
}

#[test]
fn csv_data_are_read_with_or_without_a_header() {
    let (x, y) = parse_csv("x1,x2,y\n0.5,1,2\n# comment\n\n-1;2;3\n", 2, 1).unwrap();
    assert_eq!(x.dim(), (2, 2));
    assert_eq!(y[[1, 0]], 3.0);
    let (x, _) = parse_csv("1\t2\t3\n4\t5\t6\n", 2, 1).unwrap();
    assert_eq!(x[[1, 1]], 5.0);
}

#[test]
fn a_bad_csv_cell_names_its_row_and_column() {
    let e = parse_csv("x,y\n1,2\n3,oops\n", 1, 1).unwrap_err();
    assert!(
        e.contains("row 3") && e.contains("column 2") && e.contains("oops"),
        "{e}"
    );
    let e = parse_csv("1,2\n3,4,5\n", 1, 1).unwrap_err();
    assert!(
        e.contains("row 2") && e.contains("3 columns") && e.contains("expected 2"),
        "{e}"
    );
    let e = parse_csv("1,NaN\n3,4\n", 1, 1).unwrap_err();
    assert!(e.contains("row 1, column 2"), "{e}");
}

#[test]
fn csv_read_before_the_dimensions_are_known_still_names_what_is_wrong() {
    // What the page checks when data are pasted, before the script says xDim and yDim.
    let (values, width) = read_csv("a,b,c\n1,2,3\n4;5;6\n", None).unwrap();
    assert_eq!((values.len(), width), (6, 3));
    // Names and units above the numbers.
    let (values, width) = read_csv("dose,time,level\nmg,h,mg/L\n1,2,3\n4,5,6\n", None).unwrap();
    assert_eq!((values.len(), width), (6, 3));
    let e = read_csv("a,b,c\n1,2\n", None).unwrap_err();
    assert!(
        e.contains("row 2 has 2 columns; the header row has 3"),
        "{e}"
    );
    let e = read_csv("1,2,3\n4,5,6\n7,8\n", None).unwrap_err();
    assert!(
        e.contains("row 3 has 2 columns; the rows above have 3"),
        "{e}"
    );
    let e = read_csv("x,y\n1,2\n", None).unwrap_err();
    assert!(
        e.contains("at least 2 rows") && e.contains("found 1"),
        "{e}"
    );
    let e = read_csv("1,2\n3,oops\n", None).unwrap_err();
    assert!(e.contains("row 2, column 2") && e.contains("oops"), "{e}");
}

#[test]
fn a_run_on_csv_data_learns() {
    let mut text = String::from("x1,x2,y1,y2\n");
    for i in 0..200 {
        let (a, b) = ((i % 20) as f64 / 10.0 - 1.0, (i / 20) as f64 / 5.0 - 1.0);
        let t = [(std::f64::consts::PI * a).sin(), 0.5, 0.2];
        text += &format!(
            "{a},{b},{},{}\n",
            t[0] + t[1] * a,
            t[2] * (0.5 * t[0]).exp()
        );
    }
    let s = run("exact", smooth_map(), |c| {
        c.data.source = "csv".into();
        c.data.csv = text;
        c.max_steps = 1000;
    });
    assert_eq!(s.data().x_train.nrows() + s.data().x_test.nrows(), 200);
    assert!(final_loss(&s) < first_loss(&s) / 10.0);
}

#[test]
fn an_f_that_fails_ends_the_run_with_its_message_and_keeps_the_history() {
    // Fails only on the 3000th row: data and the first log point succeed.
    let mut calls = 0;
    let bb = FnBlackBox::new(
        Dims {
            x: 1,
            theta: 1,
            y: 1,
        },
        move |x, t, y| {
            calls += 1;
            y[0] = if calls > 3000 { f64::NAN } else { t[0] * x[0] };
        },
    )
    .with_theta_true(|x, t| t[0] = x[0]);
    let cfg = config(
        "central",
        Dims {
            x: 1,
            theta: 1,
            y: 1,
        },
        |_| {},
    );
    let mut s = Session::new(cfg, Box::new(bb)).unwrap();
    let mut result = Ok(false);
    for _ in 0..1000 {
        result = s.run_chunk(f64::INFINITY, 1, &|| 0.0);
        if !matches!(result, Ok(false)) {
            break;
        }
    }
    let e = result.unwrap_err().to_string();
    assert!(e.contains("F returned NaN") && e.contains("finite"), "{e}");
    assert_eq!(s.stop_reason(), Some(StopReason::Error));
    assert!(!s.history().is_empty());
    assert_eq!(s.status().error.as_deref(), Some(e.as_str()));
}

#[test]
fn a_script_without_theta_true_asks_for_csv() {
    let bb = FnBlackBox::new(
        Dims {
            x: 1,
            theta: 1,
            y: 1,
        },
        |x, t, y| y[0] = x[0] * t[0],
    );
    let cfg = config(
        "central",
        Dims {
            x: 1,
            theta: 1,
            y: 1,
        },
        |_| {},
    );
    match Session::new(cfg, Box::new(bb)) {
        Err(SessionError::Eval(e)) => {
            assert!(e.0.contains("thetaTrue") && e.0.contains("CSV"), "{e}")
        }
        other => panic!("expected an error, got {:?}", other.err()),
    }
}

#[test]
fn a_learning_rate_that_is_far_too_high_stops_as_diverged_with_advice() {
    let s = run("exact", smooth_map(), |c| {
        c.optimizer.kind = blackbox_playground::optim::OptimizerKind::Sgd;
        c.optimizer.learning_rate = 10.0;
        c.optimizer.clip = 0.0;
    });
    assert_eq!(s.stop_reason(), Some(StopReason::Diverged));
    assert!(
        s.message().unwrap().contains("lower the learning rate"),
        "{:?}",
        s.message()
    );
}

#[test]
fn a_methods_own_learning_rate_replaces_the_shared_one_for_that_method_only() {
    let settings = |method: &str, rates: &str| {
        format!(
            r#"{{"method":"{method}","problem":{{"xDim":1,"thetaDim":1,"yDim":1}},
               "optimizer":{{"learningRate":0.01,"methodRates":{rates}}}}}"#
        )
    };
    let joint = RunConfig::from_json(&settings("joint", r#"{"joint":0.001}"#)).unwrap();
    assert_eq!(joint.learning_rate, 0.001);
    let es = RunConfig::from_json(&settings("es", r#"{"joint":0.001}"#)).unwrap();
    assert_eq!(es.learning_rate, 0.01);
    let err = RunConfig::from_json(&settings("es", r#"{"es":0}"#)).unwrap_err();
    assert_eq!(
        err.0,
        "Own learning rate of Evolution strategies must be greater than 0 and at most 10, got 0"
    );
    let err = RunConfig::from_json(&settings("es", r#"{"ess":0.1}"#)).unwrap_err();
    assert!(err.0.contains("names no method \"ess\""), "{}", err.0);
}

/// F that fails (NaN) on every 37th call between calls 2500 and 10000: inside training, away
/// from the data and the log points (at 0, 10000 and 20000 learning evaluations, with a
/// budget of 20000 and 2 log points; a log point costs under 1000 calls).
fn sometimes_failing() -> FnBlackBox {
    let mut calls = 0u64;
    FnBlackBox::new(
        Dims {
            x: 1,
            theta: 1,
            y: 1,
        },
        move |x, t, y| {
            calls += 1;
            let fails = (2500..10000).contains(&calls) && calls.is_multiple_of(37);
            y[0] = if fails {
                f64::NAN
            } else {
                t[0] * x[0] + 0.5 * t[0] * t[0]
            };
        },
    )
    .with_theta_true(|x, t| t[0] = 0.8 * x[0])
}

#[test]
fn when_f_fails_skip_drops_the_failed_samples_counts_them_and_trains_on() {
    let edit = |skip: bool| {
        move |r: &mut RawConfig| {
            r.budget = 20_000;
            r.log_points = 2;
            r.on_failure = if skip { "skip" } else { "stop" }.into();
        }
    };
    let dims = Dims {
        x: 1,
        theta: 1,
        y: 1,
    };
    let mut stop = Session::new(
        config("central", dims, edit(false)),
        Box::new(sometimes_failing()),
    )
    .unwrap();
    let mut ended = Ok(false);
    while matches!(ended, Ok(false)) {
        ended = stop.run_chunk(f64::INFINITY, u64::MAX, &|| 0.0);
    }
    assert!(ended.is_err(), "without skipping, the failure ends the run");

    let skip = run("central", sometimes_failing(), edit(true));
    let status = skip.status();
    assert_eq!(status.stop_reason, Some("budget"), "{status:?}");
    assert!(status.skipped > 0, "{status:?}");
    assert!(
        status
            .notes
            .iter()
            .any(|n| n.contains("skipped") && n.contains("thetaBounds")),
        "{:?}",
        status.notes
    );
    assert!(
        final_loss(&skip) < first_loss(&skip) / 5.0,
        "{} -> {}",
        first_loss(&skip),
        final_loss(&skip)
    );
}

#[test]
fn a_run_from_loaded_weights_starts_where_the_exporting_run_ended() {
    let edit = |r: &mut RawConfig| {
        r.budget = 3000;
        r.log_points = 4;
    };
    let first = run("central", rounded_map(), edit);
    let weights = first.policy().to_json();
    let end = final_loss(&first);
    // Through JSON text, as the page's weights.json travels.
    let weights: serde_json::Value = serde_json::from_str(&weights.to_string()).unwrap();
    let next = run("spsa", rounded_map(), |r| {
        edit(r);
        r.initial_weights = Some(weights.clone());
    });
    assert_eq!(
        first_loss(&next),
        end,
        "the same data and network: the same loss, bit for bit"
    );

    // Weights of another shape are refused with what to change.
    let dims = blackbox_playground::BlackBox::dims(&rounded_map());
    let cfg = config("central", dims, |r| {
        edit(r);
        r.network.hidden = vec![8];
        r.initial_weights = Some(weights);
    });
    let e = Session::new(cfg, Box::new(rounded_map()))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.starts_with("Load weights: the loaded weights are for a network of sizes"),
        "{e}"
    );
    assert!(e.contains("Hidden layers"), "{e}");
}
