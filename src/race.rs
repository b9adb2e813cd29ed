//! A race read as a whole: several methods, each run once per repeat (seed, seed + 1, ...),
//! summarised per method (median and range of the final and best training loss, of the
//! F-evaluations and time to converge, and of the method's own time per evaluation beside
//! F's), with each method's median curve and band over F-evaluations, its data profile, and a
//! verdict that states its rule and names a winner only when it is clear of the runner-up.
//! Convergence follows Moré and Wild's benchmarking of derivative-free solvers (2009). Reads
//! the `runs` of a `results.json` of any schema, so a loaded file is summarised the same way
//! as a live race.

use crate::config::Method;
use serde::Serialize;

mod input;
pub use input::{fill_histories, Point, Race, Run, RunFinal};

/// The convergence rule of a race, with the race's best loss when it is relative to it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Rule {
    /// Within `tau` of the way from the run's start to the race's best `best`.
    Relative { tau: f64, best: f64 },
    /// At most `target` times the run's start.
    Fixed { target: f64 },
}

impl Rule {
    /// The rule of `race`: its `f_L` is the lowest finite loss any run logged.
    pub fn of(race: &Race) -> Rule {
        match race.tau {
            Some(tau) => {
                let best = race
                    .runs
                    .iter()
                    .flat_map(losses)
                    .map(|p| p.1)
                    .filter(|l| l.is_finite())
                    .fold(f64::INFINITY, f64::min);
                Rule::Relative { tau, best }
            }
            None => Rule::Fixed {
                target: race.target,
            },
        }
    }

    /// The loss a run starting at `f0` must get to.
    pub fn goal(self, f0: f64) -> f64 {
        match self {
            Rule::Relative { tau, best } => best + tau * (f0 - best),
            Rule::Fixed { target } => target * f0,
        }
    }

    /// The rule in words, for the verdict.
    pub fn words(self) -> String {
        match self {
            Rule::Relative { tau, best } => format!(
                "converged means a training loss within τ = {} of the way from its start to the race's best ({})",
                crate::settings::num(tau),
                loss(best)
            ),
            Rule::Fixed { target } => format!(
                "converged means a training loss at most {}% of its start",
                crate::settings::num(100.0 * target)
            ),
        }
    }
}

/// Where a run converged: `hi` the evaluations of the first log point at or below the goal,
/// `lo` those of the log point before it (equal when it was the first). Never interpolated.
/// When the two are consecutive steps, `lo = hi`: the network changes only at a step's end,
/// and every step is logged while one is over a fifth of the evaluations so far.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bracket {
    pub lo: f64,
    pub hi: f64,
}

/// What the summary says of one run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub repeat: u32,
    /// `None` when the run never converged.
    pub evals_to_target: Option<Bracket>,
    /// The run's clock at the log point `hi`.
    pub ms_to_target: Option<f64>,
    /// The method's own time per learning evaluation: the run's time outside F over its
    /// learning evaluations (the network, the estimator, the surrogate, monitoring).
    pub own_ms_per_eval: Option<f64>,
    /// F's own time per call in this run.
    pub f_ms_per_call: Option<f64>,
    pub final_train_loss: Option<f64>,
    pub lost: bool,
}

/// Median and range over repeats: min–max, or the interquartile range from 5 repeats up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// How many values the spread is of.
    pub n: usize,
}

/// Evaluations to converge over the repeats that converged: the spread (`median`, `lo`,
/// `hi`) of their brackets' upper ends, and `bracket_lo` the low end of the spread of their
/// lower ends (`NaN`, written `null`, when none converged).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToTarget {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    pub bracket_lo: f64,
    /// Repeats that converged.
    pub reached: usize,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSummary {
    pub method: String,
    pub repeats: usize,
    pub final_train_loss: Spread,
    pub best_train_loss: Spread,
    pub evals_to_target: ToTarget,
    /// Time to converge (ms of the run's clock), over the repeats that converged.
    pub ms_to_target: Spread,
    /// The method's own time per learning evaluation and F's per call, over its repeats.
    pub own_ms_per_eval: Spread,
    pub f_ms_per_call: Spread,
    /// Repeats that failed or diverged.
    pub lost: usize,
    pub runs: Vec<RunSummary>,
}

/// A data profile for one problem (Moré and Wild 2009): the share of a method's repeats that
/// had converged by `evals`, as `[evals, share]` steps (one per distinct bracket end).
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub method: String,
    pub points: Vec<[f64; 2]>,
}

/// A method's median training loss and band over F-evaluations: `[evals, median, lo, hi]`.
#[derive(Clone, Debug, Serialize)]
pub struct Band {
    pub method: String,
    pub points: Vec<[f64; 4]>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub rule: Rule,
    pub summary: Vec<MethodSummary>,
    pub bands: Vec<Band>,
    pub profiles: Vec<Profile>,
    pub verdict: String,
    /// Time beside evaluations: when the winner's own work per evaluation is more than F's,
    /// what F would have to cost for it to win on time as well (empty otherwise). Apart from
    /// the verdict because it comes from the clock, which differs between two runs of a link.
    pub time_note: String,
    /// The method named the winner, if the verdict names one.
    pub winner: Option<String>,
    /// Methods the verdict says tie for first.
    pub tied: Vec<String>,
}

/// The spread of `values` (sorted inside): min–max below 5 values, quartiles from 5 up.
pub fn spread(values: &[f64]) -> Spread {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return Spread {
            median: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            n: 0,
        };
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let at = p * (v.len() - 1) as f64;
        let (i, f) = (at.floor() as usize, at.fract());
        if i + 1 < v.len() {
            v[i] + f * (v[i + 1] - v[i])
        } else {
            v[i]
        }
    };
    let (lo, hi) = if v.len() >= 5 {
        (q(0.25), q(0.75))
    } else {
        (v[0], v[v.len() - 1])
    };
    Spread {
        median: q(0.5),
        lo,
        hi,
        n: v.len(),
    }
}

fn losses(run: &Run) -> Vec<(f64, f64)> {
    run.history
        .iter()
        .filter_map(|p| p.train_loss.map(|l| (p.evals, l)))
        .collect()
}

/// Where `run` first logged a training loss at or below `goal(first logged loss)`.
pub fn bracket(run: &Run, rule: Rule) -> Option<(Bracket, usize)> {
    let pts = losses(run);
    let goal = rule.goal(pts.first()?.1);
    let i = pts.iter().position(|p| p.1 <= goal)?;
    let hi = pts[i].0;
    let logged = || run.history.iter().filter(|p| p.train_loss.is_some());
    let steps = |j: usize| logged().nth(j)?.step;
    let consecutive =
        i > 0 && matches!((steps(i - 1), steps(i)), (Some(a), Some(b)) if b == a + 1.0);
    let lo = if consecutive {
        hi
    } else {
        pts[i.saturating_sub(1)].0
    };
    Some((Bracket { lo, hi }, i))
}

fn run_summary(run: &Run, rule: Rule) -> RunSummary {
    let at = bracket(run, rule);
    let l = &run.last;
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => Some(a / b),
        _ => None,
    };
    let evals = l.evals.or_else(|| run.history.last().map(|p| p.evals));
    let own = match (l.wall_ms, l.f_ms) {
        (Some(w), Some(f)) => ratio(Some((w - f).max(0.0)), evals),
        _ => None,
    };
    RunSummary {
        repeat: run.repeat,
        evals_to_target: at.map(|a| a.0),
        ms_to_target: at.and_then(|(_, i)| {
            let with_loss: Vec<&Point> = run
                .history
                .iter()
                .filter(|p| p.train_loss.is_some())
                .collect();
            with_loss.get(i).and_then(|p| p.wall_ms)
        }),
        own_ms_per_eval: own,
        f_ms_per_call: ratio(l.f_ms, l.f_rows),
        final_train_loss: losses(run).last().map(|p| p.1),
        lost: lost(run),
    }
}

/// The data profile of one method's runs.
fn profile(method: &str, runs: &[RunSummary]) -> Profile {
    let mut ends: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.evals_to_target.map(|b| b.hi))
        .collect();
    ends.sort_by(f64::total_cmp);
    let n = runs.len().max(1) as f64;
    let mut points: Vec<[f64; 2]> = Vec::new();
    for (i, e) in ends.iter().enumerate() {
        let share = (i + 1) as f64 / n;
        match points.last_mut() {
            Some(p) if p[0] == *e => p[1] = share,
            _ => points.push([*e, share]),
        }
    }
    Profile {
        method: method.to_string(),
        points,
    }
}

fn lost(run: &Run) -> bool {
    run.error.is_some()
        || matches!(run.last.outcome.as_deref(), Some("failed" | "diverged"))
        || run.last.stop_reason.as_deref() == Some("diverged")
}

fn label(method: &str) -> String {
    Method::from_name(method)
        .map(|m| m.label().to_string())
        .unwrap_or_else(|| method.to_string())
}

fn count(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{}", v.round())
    }
}

fn loss(v: f64) -> String {
    format!("{v:.3e}")
}

/// The band of one method's runs: at each evaluation count any of them logged, the median,
/// low and high of the runs' losses there (each run holding its last logged value).
fn band(runs: &[&Run]) -> Vec<[f64; 4]> {
    let curves: Vec<Vec<(f64, f64)>> = runs.iter().map(|r| losses(r)).collect();
    let mut grid: Vec<f64> = curves.iter().flatten().map(|p| p.0).collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid.iter()
        .filter_map(|&e| {
            let at: Vec<f64> = curves
                .iter()
                .filter_map(|c| c.iter().take_while(|p| p.0 <= e).last().map(|p| p.1))
                .collect();
            (!at.is_empty()).then(|| {
                let s = spread(&at);
                [e, s.median, s.lo, s.hi]
            })
        })
        .collect()
}

/// Summarises a race and says who won, if anyone clearly did.
pub fn summarize(race: &Race) -> Summary {
    let rule = Rule::of(race);
    let mut methods: Vec<&str> = Vec::new();
    for r in &race.runs {
        if !methods.contains(&r.method.as_str()) {
            methods.push(&r.method);
        }
    }
    let mut summary = Vec::new();
    let mut bands = Vec::new();
    let mut profiles = Vec::new();
    for &m in &methods {
        let runs: Vec<&Run> = race.runs.iter().filter(|r| r.method == m).collect();
        let per_run: Vec<RunSummary> = runs.iter().map(|r| run_summary(r, rule)).collect();
        let finals: Vec<f64> = per_run.iter().filter_map(|r| r.final_train_loss).collect();
        let bests: Vec<f64> = runs
            .iter()
            .filter_map(|r| losses(r).iter().map(|p| p.1).reduce(f64::min))
            .collect();
        let his: Vec<f64> = per_run
            .iter()
            .filter_map(|r| r.evals_to_target.map(|b| b.hi))
            .collect();
        let los: Vec<f64> = per_run
            .iter()
            .filter_map(|r| r.evals_to_target.map(|b| b.lo))
            .collect();
        let of = |f: fn(&RunSummary) -> Option<f64>| -> Vec<f64> {
            per_run.iter().filter_map(f).collect()
        };
        let s = spread(&his);
        summary.push(MethodSummary {
            method: m.to_string(),
            repeats: runs.len(),
            final_train_loss: spread(&finals),
            best_train_loss: spread(&bests),
            evals_to_target: ToTarget {
                median: s.median,
                lo: s.lo,
                hi: s.hi,
                bracket_lo: spread(&los).lo,
                reached: his.len(),
            },
            ms_to_target: spread(&of(|r| r.ms_to_target)),
            own_ms_per_eval: spread(&of(|r| r.own_ms_per_eval)),
            f_ms_per_call: spread(&of(|r| r.f_ms_per_call)),
            lost: per_run.iter().filter(|r| r.lost).count(),
            runs: Vec::new(),
        });
        profiles.push(profile(m, &per_run));
        summary.last_mut().expect("pushed").runs = per_run;
        bands.push(Band {
            method: m.to_string(),
            points: band(&runs),
        });
    }
    let (verdict, winner, tied) = verdict(&summary, rule);
    let time_note = match &winner {
        Some(w) => time_sentence(&summary, w).trim_start().to_string(),
        None => String::new(),
    };
    Summary {
        rule,
        summary,
        bands,
        profiles,
        verdict,
        time_note,
        winner,
        tied,
    }
}

/// Candidates with the spread they are ranked by (lower is better).
type Ranking<'a> = Vec<(&'a MethodSummary, Spread)>;

/// "1.2k F-evaluations (1.1k–1.4k over 3 runs)": the unit once, the count of values.
fn range_text(s: &Spread, fmt: fn(f64) -> String, unit: &str) -> String {
    if s.n > 1 {
        let (m, lo, hi) = (fmt(s.median), fmt(s.lo), fmt(s.hi));
        format!("{m}{unit} ({lo}–{hi} over {} runs)", s.n)
    } else {
        format!("{}{unit}", fmt(s.median))
    }
}

fn ms(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.3} ms")
    } else {
        format!("{:.1} µs", v * 1000.0)
    }
}

/// Ranks the methods whose every repeat converged by evaluations to converge (the upper end
/// of each run's bracket), else by best loss; names a winner only when its spread of upper
/// ends lies below the runner-up's spread of lower ends (so two methods that converged
/// between the same two log points tie). Adds a sentence when another method ended with a
/// clearly lower final loss, and one on time when the winner's own work per evaluation is
/// more than F's.
fn verdict(summary: &[MethodSummary], rule: Rule) -> (String, Option<String>, Vec<String>) {
    let alive: Vec<&MethodSummary> = summary.iter().filter(|s| s.lost < s.repeats).collect();
    if alive.is_empty() {
        return (
            "Every method failed or diverged: there is no winner. Lower the learning rate, or check F on the Problem panel.".into(),
            None,
            vec![],
        );
    }
    let all_reached: Vec<&MethodSummary> = alive
        .iter()
        .copied()
        .filter(|s| s.evals_to_target.reached == s.repeats && s.lost == 0)
        .collect();
    let rule_text = {
        let mut w = rule.words();
        if let Some(c) = w.get_mut(0..1) {
            c.make_ascii_uppercase();
        }
        w
    };
    let runs = alive.iter().map(|s| s.repeats).max().unwrap_or(1);
    let criterion = if all_reached.is_empty() {
        format!("{rule_text}. No method converged in every run, so they are ranked by their lowest loss.")
    } else {
        format!(
            "{rule_text}; methods are ranked by the F-evaluations of the first log point past it (log points at most 20% apart), median over {runs} run{}.",
            if runs == 1 { "" } else { "s" }
        )
    };
    let (mut ranked, fmt, unit): (Ranking, fn(f64) -> String, &str) = if all_reached.is_empty() {
        (
            alive.iter().map(|s| (*s, s.best_train_loss)).collect(),
            loss,
            "",
        )
    } else {
        let r = all_reached
            .iter()
            .map(|s| {
                let t = s.evals_to_target;
                let spread = Spread {
                    median: t.median,
                    lo: t.lo,
                    hi: t.hi,
                    n: t.reached,
                };
                (*s, spread)
            })
            .collect();
        (r, count, " F-evaluations")
    };
    ranked.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
    let (first, f) = ranked[0];
    let name = label(&first.method);
    let how = if all_reached.is_empty() {
        "reached the lowest loss,"
    } else {
        "converged in"
    };
    let range = |s: &Spread| range_text(s, fmt, unit);
    // The low end a runner-up must stay above for the leader to be clear of it.
    let low_end = |m: &MethodSummary, s: &Spread| {
        if all_reached.is_empty() {
            s.lo
        } else {
            m.evals_to_target.bracket_lo
        }
    };
    let (head, winner, tied) = match ranked.get(1) {
        None => {
            let others = alive.len() - 1;
            if !all_reached.is_empty() && others > 0 && f.n >= 2 {
                (
                    format!(
                        "{name} wins: it {how} {}; no other method converged in every run.",
                        range(&f)
                    ),
                    Some(first.method.clone()),
                    vec![],
                )
            } else if !all_reached.is_empty() && others > 0 {
                (
                    format!("{name} {how} {}; no other method converged. One run per method: set Repeats to 3 or more to tell a difference from chance.", range(&f)),
                    None,
                    vec![],
                )
            } else {
                (format!("{name} {how} {}.", range(&f)), None, vec![])
            }
        }
        Some(&(second, g)) => {
            let runner = label(&second.method);
            if f.n < 2 || g.n < 2 {
                let (a, b) = (fmt(f.median), fmt(g.median));
                (
                    format!("{name} {how} {a}{unit}, {runner} {b}{unit}. One run per method: set Repeats to 3 or more to tell a difference from chance."),
                    None,
                    vec![],
                )
            } else if f.hi < low_end(second, &g) {
                (
                    format!(
                        "{name} wins: it {how} {}, clear of {runner}: {}.",
                        range(&f),
                        range(&g)
                    ),
                    Some(first.method.clone()),
                    vec![],
                )
            } else {
                // Everyone not clear of the leader ties with it.
                let tied: Vec<(&MethodSummary, Spread)> = ranked
                    .iter()
                    .copied()
                    .filter(|(m, s)| low_end(m, s) <= f.hi)
                    .collect();
                let names: Vec<String> = tied.iter().map(|(m, _)| label(&m.method)).collect();
                let ranges: Vec<String> = tied
                    .iter()
                    .map(|(m, s)| format!("{}: {}", label(&m.method), range(s)))
                    .collect();
                (
                    format!(
                        "{} tie: their ranges overlap ({}). More repeats may separate them.",
                        names.join(" and "),
                        ranges.join("; ")
                    ),
                    None,
                    tied.iter().map(|(m, _)| m.method.clone()).collect(),
                )
            }
        }
    };
    let mut text = format!("{criterion} {head}");
    // The leaders: the winner, or those tied, or the first when nobody is named.
    let leaders: Vec<&MethodSummary> = if tied.is_empty() {
        vec![first]
    } else {
        alive
            .iter()
            .copied()
            .filter(|m| tied.contains(&m.method))
            .collect()
    };
    let leader_final = leaders
        .iter()
        .map(|m| m.final_train_loss.lo)
        .fold(f64::INFINITY, f64::min);
    if let Some(lower) = alive
        .iter()
        .filter(|m| !leaders.iter().any(|l| l.method == m.method))
        .filter(|m| m.final_train_loss.n >= 1 && m.final_train_loss.hi < leader_final)
        .min_by(|a, b| {
            a.final_train_loss
                .median
                .total_cmp(&b.final_train_loss.median)
        })
    {
        let lead = leaders[0];
        text.push_str(&format!(
            " {} ended with a clearly lower final loss: {} against {}'s {}.",
            label(&lower.method),
            range_text(&lower.final_train_loss, loss, ""),
            label(&lead.method),
            range_text(&lead.final_train_loss, loss, "")
        ));
    }
    (text, winner, tied)
}

/// When the winner's own work per evaluation is more than F's: it wins on evaluations, and
/// how much F would have to cost a call for it to win on time against the runner-up too.
fn time_sentence(summary: &[MethodSummary], winner: &str) -> String {
    let Some(w) = summary.iter().find(|m| m.method == winner) else {
        return String::new();
    };
    // The runner-up by evaluations to converge, among the methods that converged every time.
    let runner = summary
        .iter()
        .filter(|m| m.method != winner && m.lost == 0 && m.evals_to_target.reached == m.repeats)
        .min_by(|a, b| {
            a.evals_to_target
                .median
                .total_cmp(&b.evals_to_target.median)
        });
    let (own, f) = (w.own_ms_per_eval.median, w.f_ms_per_call.median);
    if !(own.is_finite() && f.is_finite() && own > f) {
        return String::new();
    }
    let name = label(&w.method);
    let mut s = format!(
        " {name} wins on F-evaluations, but its own work is {} per evaluation against F's {} a call",
        ms(own),
        ms(f)
    );
    if let Some(r) = runner {
        let (ew, er) = (w.evals_to_target.median, r.evals_to_target.median);
        let or = r.own_ms_per_eval.median;
        if ew.is_finite() && er.is_finite() && or.is_finite() && er > ew {
            // ew (own + c) < er (or + c)  <=>  c > (ew·own − er·or) / (er − ew)
            let c = (ew * own - er * or) / (er - ew);
            if c > f {
                s.push_str(&format!(
                    ": F would have to cost more than {} a call for it to win on time against {}",
                    ms(c),
                    label(&r.method)
                ));
            }
        }
    }
    s.push('.');
    s
}
