//! The registry: every gradient method's facts, written once. Its id in configs, links and
//! results, the label the page shows, its cost per sample and step, its formula and idea, the
//! settings it reads, its colour, whether it needs the script's dF and whether its run ends
//! with the finite-difference step-size sweep. `www/schema.js` (generated) carries all of it
//! to the page and the worker; `methods::build` makes each method's machinery.
//!
//! Adding a method: its file in `src/methods/`, its entry here (a variant, its place in
//! `ALL`, its facts in `info`), its arm in `methods::build`.
//!
//! A leaf: it reads nothing of the crate, so `config` and `settings` can name methods
//! without a circle.

use serde::{Deserialize, Serialize};

/// The gradient methods, with their names in configs, links and results (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    #[serde(rename = "central")]
    Central,
    #[serde(rename = "forward")]
    Forward,
    #[serde(rename = "spsa")]
    Spsa,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "surrogate")]
    Surrogate,
    #[serde(rename = "joint")]
    Joint,
    #[serde(rename = "guided-es")]
    GuidedEs,
    #[serde(rename = "cv-es")]
    CvEs,
    #[serde(rename = "exact")]
    Exact,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Central,
        Method::Forward,
        Method::Spsa,
        Method::Es,
        Method::Surrogate,
        Method::Joint,
        Method::GuidedEs,
        Method::CvEs,
        Method::Exact,
    ];
    pub fn name(self) -> &'static str {
        self.info().name
    }
    /// The label the page shows.
    pub fn label(self) -> &'static str {
        self.info().label
    }
    /// Everything the page and the docs say about the method, written once.
    pub fn info(self) -> MethodInfo {
        match self {
            Method::Central => MethodInfo {
                name: "central",
                label: "Central differences",
                cost: "2p + 1",
                formula: "g_j = [F(θ + h e_j) − F(θ − h e_j)] / 2h,  h = ∛ε·max(|θ_j|, 1)",
                idea: "Error O(h²) with one pair of calls per parameter. Exact enough on smooth F; blind on flat F and swamped on noisy F.",
                settings: &["methodSettings.hRel", "methodSettings.autoStep"],
                colour: "#2563eb",
                needs_df: false,
                sweep: true,
                first_visit: true,
            },
            Method::Forward => MethodInfo {
                name: "forward",
                label: "Forward differences",
                cost: "p + 1",
                formula: "g_j = [F(θ + h e_j) − F(θ)] / h,  h = √ε·max(|θ_j|, 1)",
                idea: "Half the calls of central differences, error O(h). The cheapest exact-ish estimate for small p.",
                settings: &["methodSettings.hRel", "methodSettings.autoStep"],
                colour: "#0891b2",
                needs_df: false,
                sweep: true,
                first_visit: false,
            },
            Method::Spsa => MethodInfo {
                name: "spsa",
                label: "SPSA",
                cost: "2k + 1",
                formula: "Δ ~ ±1 each;  g = mean_k [F(θ + c·sΔ) − F(θ − c·sΔ)] / 2c · Δ/s,  s = θ's scale",
                idea: "Spall's simultaneous perturbation: every parameter moves at once, so the cost does not grow with p. Noisy, but many more steps for the same budget.",
                settings: &["methodSettings.k", "methodSettings.sigma"],
                colour: "#ea580c",
                needs_df: false,
                sweep: false,
                first_visit: true,
            },
            Method::Es => MethodInfo {
                name: "es",
                label: "Evolution strategies",
                cost: "2k + 1",
                formula: "ε ~ N(0, I);  g = mean_k [F(θ + σ·sε) − F(θ − σ·sε)] / 2σ · ε/s,  s = θ's scale",
                idea: "Antithetic Gaussian smoothing: the gradient of F blurred over σ. Sees through steps and noise; biased where F curves within σ.",
                settings: &["methodSettings.k", "methodSettings.sigma"],
                colour: "#16a34a",
                needs_df: false,
                sweep: false,
                first_visit: false,
            },
            Method::Surrogate => MethodInfo {
                name: "surrogate",
                label: "Surrogate (two-stage)",
                cost: "1 per collected row",
                formula: "fit F̃_ρ ≈ F on (x, θ) near π;  train π through frozen F̃",
                idea: "Collects samples of F around the policy, fits a differentiable copy (stopped early on held-out rows), then trains through it for free. Rounds (24 by default) grow geometrically from 2% of the budget, and a round ends when θ leaves the region it sampled.",
                settings: &["methodSettings.exploration", "methodSettings.rounds", "methodSettings.collectShare", "methodSettings.surrogateHidden"],
                colour: "#9333ea",
                needs_df: false,
                sweep: false,
                first_visit: false,
            },
            Method::Joint => MethodInfo {
                name: "joint",
                label: "Joint surrogate",
                cost: "1",
                formula: "ρ: min λ‖F̃(X, θ̃) − F(X, θ̃)‖²;  π: J_F̃(θ)ᵀ·2[F(θ̃) + F̃(θ) − F̃(θ̃) − Y],  θ̃ = NN(X) + noise",
                idea: "F̃ learns F where the policy goes (exploration noise shows it how F varies), and π follows F̃'s slope with F's true residual. The seed's L* taken literally (an option) lets both terms train π; its fixed point F̃ = (Y + λF)/(1 + λ) leaves π a zero gradient whatever F − Y is, so it can stall.",
                settings: &["methodSettings.lambda", "methodSettings.exploration", "methodSettings.surrogateHidden", "methodSettings.jointGate", "methodSettings.literalLoss", "methodSettings.fitOnlyRho"],
                colour: "#dc2626",
                needs_df: false,
                sweep: false,
                first_visit: true,
            },
            Method::GuidedEs => MethodInfo {
                name: "guided-es",
                label: "Guided ES",
                cost: "2k + 1",
                formula: "ε ~ N(0, n·Σ),  Σ = (α/n)·I + (1 − α)·uuᵀ,  u = J_F̃ᵀ(F − Y) / ‖·‖",
                idea: "Evolution strategies whose search leans toward the surrogate's gradient, with the paper's covariance (Maheswaranathan et al. 2019): surrogate speed, ES honesty. Plain ES until F̃ predicts fresh probes well.",
                settings: &["methodSettings.k", "methodSettings.sigma", "methodSettings.alpha", "methodSettings.surrogateHidden"],
                colour: "#a16207",
                needs_df: false,
                sweep: false,
                first_visit: false,
            },
            Method::CvEs => MethodInfo {
                name: "cv-es",
                label: "ES with surrogate control variate",
                cost: "2k + 1",
                formula: "g = mean_k [Δs(ε) − c∘Δs̃(ε)] ε/2σs + c∘m,  Δs(ε) = s(θ + σsε) − s(θ − σsε),  s = w·F,  s̃ = w·F̃,  m ≈ ∇(smoothed s̃)",
                idea: "ES's probes, minus what the surrogate F̃ predicts for the same probes, plus the surrogate's own smoothed gradient from free probes: the two surrogate terms cancel on average, so the estimate stays unbiased for the smoothed F however wrong F̃ is. Where F̃ is good, the difference is small and so is the variance; c per component is set online to minimise it (c = 0 is plain ES). It sits between ES (honest, noisy) and the joint surrogate (smooth, biased where F̃ is wrong), after RELAX/LAX (Grathwohl et al. 2018).",
                settings: &["methodSettings.k", "methodSettings.sigma", "methodSettings.surrogateHidden"],
                colour: "#db2777",
                needs_df: false,
                sweep: false,
                first_visit: false,
            },
            Method::Exact => MethodInfo {
                name: "exact",
                label: "Analytic gradient",
                cost: "1 F + 1 dF",
                formula: "g = J_Fᵀ ∂L/∂F,  J_F = dF(x, θ) from your script",
                idea: "The oracle: uses your dF. Every other method is measured against it (or against Richardson-extrapolated differences when there is no dF).",
                settings: &[],
                colour: "#64748b",
                needs_df: true,
                sweep: true,
                first_visit: true,
            },
        }
    }
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// What the page and the docs say about a method (`Method::info`).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodInfo {
    /// The name in configs, links and results.
    pub name: &'static str,
    pub label: &'static str,
    /// F-evaluations per sample and step (p = thetaDim).
    pub cost: &'static str,
    pub formula: &'static str,
    /// One or two sentences: the idea, and where it works.
    pub idea: &'static str,
    /// Paths (`settings::SETTINGS`) of the settings the method reads.
    pub settings: &'static [&'static str],
    /// Its colour in every chart, legend and table row (`#rrggbb`, readable on light and dark).
    pub colour: &'static str,
    /// It runs only when the script has `dF`.
    pub needs_df: bool,
    /// Its `done` carries the finite-difference step-size sweep (V-plot).
    pub sweep: bool,
    /// Ticked on a first visit and by Restore defaults (those needing dF only when the
    /// script has it).
    pub first_visit: bool,
}
