// Trained networks in and out: "Load weights" takes a weights.json the page exported and the
// next Run starts from those networks (each method from its own, or all from the only one);
// "Export Python" writes a method's trained network as a self-contained Python file: the
// method chosen in the menu beside it (by default the verdict's winner, else the method with
// the lowest median final training loss), with repeats the repeat whose final training loss
// is the median. `exportPython(method)` does it for any method (the results table's rows).
// The loaded networks are the page's state (state.js: loadedWeights).
import { $, button, download, el, input, setProp } from './dom.js';
import { fmtNum } from './format.js';
import { METHOD } from './methods.js';
import { raceSummary } from './race.js';
import { state, set, subscribe } from './state.js';
import { showAlert, clearAlert } from './status.js';

/** A network as weights.json holds it (src/nn.rs `Mlp::to_json`). @typedef {Record<string, any>} Network */

const MAX_BYTES = 50e6;

/** Whether a value looks like one network of weights.json. @param {unknown} v @returns {v is Network} */
const isNetwork = (v) => typeof v === 'object' && v !== null && Array.isArray(/** @type {any} */ (v).sizes) && Array.isArray(/** @type {any} */ (v).layers);

/**
 * The networks of a weights.json: one network (for every method), or one per method (with
 * repeats, a list: the first repeat's is taken).
 * @param {unknown} json
 * @returns {Record<string, Network>}
 */
export function networksOf(json) {
  if (isNetwork(json)) return { '*': json };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('It is not a weights.json: expected the networks by method, as Export weights writes them.');
  /** @type {Record<string, Network>} */
  const out = {};
  for (const [method, v] of Object.entries(json)) {
    const net = Array.isArray(v) ? v.find(isNetwork) : v;
    if (isNetwork(net)) out[method] = net;
  }
  if (!Object.keys(out).length) throw new Error('It holds no network: expected what Export weights writes ({"central": {"sizes": [...], "layers": [...]}, ...}).');
  return out;
}

/**
 * The network a run of `method` starts from, if weights were loaded: its own, else the only
 * one in the file.
 * @param {string} method
 * @returns {Network | null}
 */
export function initialWeightsFor(method) {
  const loaded = state.loadedWeights;
  if (!loaded) return null;
  const n = loaded.networks;
  const keys = Object.keys(n);
  return n[method] ?? n['*'] ?? (keys.length === 1 ? n[keys[0]] : null);
}

function showNote() {
  const loaded = state.loadedWeights;
  const note = $('weights-note');
  note.hidden = !loaded;
  if (!loaded) return;
  const which = Object.keys(loaded.networks).filter((k) => k !== '*');
  $('weights-text').textContent = `Loaded ${loaded.name}: the next Run starts from ${which.length ? `the networks of ${which.join(', ')}` : 'its network'} (each method from its own, else from the only one). `;
}

/** @param {File} file */
async function load(file) {
  clearAlert();
  try {
    if (file.size > MAX_BYTES) throw new Error(`It has ${file.size} bytes; the limit is ${MAX_BYTES / 1e6} MB.`);
    set({ loadedWeights: { name: file.name, networks: networksOf(JSON.parse(await file.text())) } });
  } catch (e) {
    showAlert({ title: `${file.name} cannot be loaded as weights.`, message: /** @type {Error} */ (e).message });
    return;
  }
  showNote();
}

// ------------------------------------------------------------------------------------------
// Export Python.

/** A Python float literal that reads back to the same double. @param {number} v */
const py = (v) => {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return `${v}.0`;
  return String(v); // JavaScript writes the shortest text that reads back exactly; so does Python
};

/**
 * Which run a Python file holds, for its header: the method, and with repeats which repeat
 * (0-based), of how many, its seed and its final training loss.
 * @typedef {{method: string, repeat?: number, repeats?: number, seed?: number | null, finalLoss?: number | null}} PolicySource
 */

/**
 * A self-contained Python file with the network: `policy(x)` returns theta (bounds included),
 * standard library only (NumPy is used when present), the problem script as a comment.
 * `checks`: inputs and the theta the page computed for them, which `python3 policy.py --check`
 * compares with its own.
 * @param {Network} net @param {string | PolicySource} source  the method, or which run
 * @param {string} script
 * @param {{x: number[], theta: number[]}[]} [checks]
 */
export function pythonSource(net, source, script, checks = []) {
  const from = typeof source === 'string' ? { method: source } : source;
  const method = from.method;
  const label = METHOD[method]?.label ?? method;
  const which = from.repeats && from.repeats > 1 && from.repeat !== undefined
    ? `\nIt is repeat ${from.repeat + 1} of ${from.repeats}${from.seed !== null && from.seed !== undefined ? ` (seed ${from.seed})` : ''}: the repeat whose final training loss${Number.isFinite(from.finalLoss) ? `, ${fmtNum(/** @type {number} */ (from.finalLoss))},` : ''} is the median of the ${from.repeats}.`
    : '';
  const layers = net.layers.map((/** @type {any} */ l) => `    (\n      [${l.weights.map((/** @type {number[]} */ r) => `[${r.map(py).join(', ')}]`).join(',\n       ')}],\n      [${l.bias.map(py).join(', ')}],\n    )`).join(',\n');
  const bounds = Array.isArray(net.outputBounds) ? `[${net.outputBounds.map((/** @type {number[]} */ b) => `(${py(b[0])}, ${py(b[1])})`).join(', ')}]` : 'None';
  const comment = script.split('\n').map((line) => `# ${line}`).join('\n');
  return `"""The policy network trained by the Blackbox Gradients Playground (method: ${method}, ${label}).${which}

policy(x) returns theta for an input x (a list of ${net.sizes[0]} numbers): a network
${net.sizes.join(' -> ')} with ${net.activation} hidden layers, a linear last layer${bounds === 'None' ? '' : ', then each output squashed into its bounds by a scaled tanh'}.
Standard library only; NumPy is used for batches when it is installed (policy_batch).
"""
import math

SIZES = [${net.sizes.join(', ')}]
ACTIVATION = "${net.activation}"
# Per layer: (weights[i][o] mapping input i to output o, bias[o]); y = act(x W + b).
LAYERS = [
${layers},
]
OUTPUT_BOUNDS = ${bounds}
# Inputs and the theta the page computed for them (python3 this_file.py --check compares).
CHECKS = [
${checks.map((c) => `    ([${c.x.map(py).join(', ')}], [${c.theta.map(py).join(', ')}]),`).join('\n')}
]

_GELU_C = math.sqrt(2.0 / math.pi)


def _act(z):
    if ACTIVATION == "tanh":
        return math.tanh(z)
    if ACTIVATION == "relu":
        return z if z > 0.0 else 0.0
    return 0.5 * z * (1.0 + math.tanh(_GELU_C * (z + 0.044715 * z * z * z)))


def policy(x):
    """theta for one input x (a sequence of ${net.sizes[0]} numbers)."""
    a = [float(v) for v in x]
    if len(a) != SIZES[0]:
        raise ValueError("x must have %d numbers, got %d" % (SIZES[0], len(a)))
    last = len(LAYERS) - 1
    for l, (w, b) in enumerate(LAYERS):
        z = list(b)
        for i, ai in enumerate(a):
            row = w[i]
            for o in range(len(z)):
                z[o] += ai * row[o]
        a = z if l == last else [_act(v) for v in z]
    if OUTPUT_BOUNDS is not None:
        a = [lo + (hi - lo) * 0.5 * (math.tanh(v) + 1.0) for v, (lo, hi) in zip(a, OUTPUT_BOUNDS)]
    return a


def policy_batch(xs):
    """theta for many inputs: NumPy when installed, else one policy(x) per row."""
    try:
        import numpy as np
    except ImportError:
        return [policy(x) for x in xs]
    a = np.asarray(xs, dtype=float)
    for l, (w, b) in enumerate(LAYERS):
        a = a @ np.asarray(w) + np.asarray(b)
        if l < len(LAYERS) - 1:
            if ACTIVATION == "tanh":
                a = np.tanh(a)
            elif ACTIVATION == "relu":
                a = np.maximum(a, 0.0)
            else:
                a = 0.5 * a * (1.0 + np.tanh(_GELU_C * (a + 0.044715 * a ** 3)))
    if OUTPUT_BOUNDS is not None:
        lo = np.array([b[0] for b in OUTPUT_BOUNDS])
        hi = np.array([b[1] for b in OUTPUT_BOUNDS])
        a = lo + (hi - lo) * 0.5 * (np.tanh(a) + 1.0)
    return a.tolist()


if __name__ == "__main__":
    import json
    import sys
    if sys.argv[1:] == ["--check"]:
        # The largest difference from the page's theta, relative to max(|theta|, 1).
        worst = 0.0
        for x, want in CHECKS:
            got = policy(x)
            worst = max([worst] + [abs(g - w) / max(abs(w), 1.0) for g, w in zip(got, want)])
        print(json.dumps({"checks": len(CHECKS), "maxError": worst}))
    else:
        # Reads inputs (a JSON list of x) on stdin, writes theta for each as JSON.
        print(json.dumps([policy(x) for x in json.load(sys.stdin)]))

# The problem script this network was trained on:
${comment}
`;
}

// Networks parsed from runs' weights, by the weights' text: the Export Python menu's state
// is checked on every change of the runs, and a run's weights do not change once it is done.
/** @type {Map<string, Network | null>} */
const parsed = new Map();

/** The network in a run's weights (JSON), or null when it is not one. */
function parsedNetwork(/** @type {string} */ weights) {
  if (!parsed.has(weights)) {
    /** @type {unknown} */
    let net = null;
    try { net = JSON.parse(weights); } catch { /* not a network */ }
    if (parsed.size >= 64) parsed.clear(); // bounded: older races' networks are not needed
    parsed.set(weights, isNetwork(net) ? /** @type {Network} */ (net) : null);
  }
  return parsed.get(weights) ?? null;
}

/** A run's trained network, with up to 5 inputs and the theta the run computed there (its
 * fit report), or null when it has none. @param {import('./comparison.js').Run} r */
function trainedOf(r) {
  const net = r.weights ? parsedNetwork(r.weights) : null;
  if (!net) return null;
  const fit = /** @type {Record<string, any> | null} */ (r.fit);
  const checks = [];
  if (fit && Array.isArray(fit.x) && Array.isArray(fit.thetaLearned)) {
    const n = Math.min(5, Math.floor(fit.x.length / fit.xDim));
    for (let i = 0; i < n; i++) {
      checks.push({ x: fit.x.slice(i * fit.xDim, (i + 1) * fit.xDim), theta: fit.thetaLearned.slice(i * fit.thetaDim, (i + 1) * fit.thetaDim) });
    }
  }
  return { net, checks };
}

/**
 * The run of each method of the race shown whose network Export Python writes: with repeats,
 * the repeat with the median final training loss (the lower of the two middle ones for an
 * even count; runs without a final loss come last), among the runs that trained a network.
 */
function policyRuns() {
  /** @type {Map<string, import('./comparison.js').Run[]>} */
  const byMethod = new Map();
  for (const r of state.comparison?.runs.values() ?? []) {
    if (!r.weights || !parsedNetwork(r.weights)) continue;
    const list = byMethod.get(r.method) ?? [];
    list.push(r);
    byMethod.set(r.method, list);
  }
  /** @type {Map<string, import('./comparison.js').Run>} */
  const out = new Map();
  for (const [method, runs] of byMethod) {
    const loss = (/** @type {import('./comparison.js').Run} */ r) => {
      const v = r.final.trainLoss;
      return typeof v === 'number' && Number.isFinite(v) ? v : Infinity;
    };
    const sorted = [...runs].sort((a, b) => loss(a) - loss(b) || a.repeat - b.repeat);
    const finite = sorted.filter((r) => loss(r) < Infinity);
    out.set(method, finite.length ? finite[Math.floor((finite.length - 1) / 2)] : sorted[0]);
  }
  return out;
}

/** The methods of the race shown that Export Python can write: those with a trained network
 * (the results table's Python buttons). */
export const policyMethods = () => new Set(policyRuns().keys());

/**
 * The method Export Python writes unless another is chosen: the verdict's winner, else the
 * method with the lowest median final training loss (the core's summary), among those with a
 * trained network; null when none has one.
 */
export function defaultPolicyMethod() {
  const runs = policyRuns();
  if (!runs.size) return null;
  const race = raceSummary(state.comparison);
  if (race?.winner && runs.has(race.winner)) return race.winner;
  const median = (/** @type {string} */ m) => {
    const v = race?.summary.find((s) => s.method === m)?.finalTrainLoss.median;
    return typeof v === 'number' && Number.isFinite(v) ? v : Infinity;
  };
  return [...runs.keys()].sort((a, b) => median(a) - median(b))[0];
}

/**
 * Downloads `policy-<method>.py` for a method of the race shown (default: the one chosen in
 * the menu beside Export Python): its network, with repeats the median repeat's. False when
 * that method trained no network.
 * @param {string} [method]
 */
export function exportPython(method = chosenMethod() ?? '') {
  const c = state.comparison;
  const run = policyRuns().get(method);
  const trained = run && trainedOf(run);
  if (!c || !run || !trained) return false;
  const text = pythonSource(trained.net, {
    method, repeat: run.repeat, repeats: c.repeats, seed: run.seed, finalLoss: run.final.trainLoss,
  }, c.script, trained.checks);
  download(`policy-${method}.py`, new Blob([text], { type: 'text/x-python' }));
  return true;
}

const menu = () => /** @type {HTMLSelectElement} */ ($('export-python-method'));

/** The method chosen in the menu, if it has a network now. */
function chosenMethod() {
  const v = menu().value;
  return v && policyRuns().has(v) ? v : defaultPolicyMethod();
}

/** The menu follows the race shown: a choice per method with a network, the default first
 * chosen; a choice the person made stays while the same race is shown. */
function renderMenu() {
  const runs = policyRuns();
  const box = menu();
  const best = defaultPolicyMethod();
  const race = raceSummary(state.comparison);
  const key = `${state.comparison?.id ?? ''}|${[...runs.keys()].join(',')}|${best}`;
  if (box.dataset.key !== key) {
    const kept = box.dataset.race === String(state.comparison?.id ?? '') && box.dataset.chosen === 'person' ? box.value : null;
    box.replaceChildren(...[...runs.keys()].map((m) => el('option', { value: m },
      `${METHOD[m]?.label ?? m}${m === race?.winner ? ' (winner)' : m === best ? ' (lowest loss)' : ''}`)));
    box.value = kept && runs.has(kept) ? kept : (best ?? '');
    if (!kept) box.dataset.chosen = 'default';
    box.dataset.key = key;
    box.dataset.race = String(state.comparison?.id ?? '');
  }
  setProp(box, 'disabled', !runs.size);
  setProp(box, 'hidden', !runs.size);
  setProp(button('export-python'), 'disabled', !runs.size);
}

/** Wires Load weights, Forget them and Export Python. */
export function bindWeights() {
  const file = input('load-weights');
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    file.value = '';
    if (chosen) load(chosen);
  });
  button('forget-weights').addEventListener('click', () => { set({ loadedWeights: null }); showNote(); });
  // The method to export: a menu beside the button (index.html has the button only).
  const exportButton = button('export-python');
  exportButton.title = 'Download the chosen method\'s trained network as a self-contained Python file: def policy(x) returns theta (with repeats, the repeat with the median final loss)';
  exportButton.after(el('select', {
    id: 'export-python-method', 'aria-label': 'Method to export as Python', disabled: true, hidden: true,
    title: 'Whose network Export Python writes: by default the winner, else the lowest median final loss',
    style: 'width: auto; max-width: 16em; font-size: 12.5px; padding: 3px 6px;',
    onchange: () => { menu().dataset.chosen = 'person'; },
  }));
  exportButton.addEventListener('click', () => { exportPython(); });
  subscribe((changed) => {
    if (changed.has('comparison') || changed.has('runs')) renderMenu();
  });
}
