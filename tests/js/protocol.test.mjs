// The one message list (www/protocol.js, MESSAGES) and everyone who must agree with it: the
// table in docs/architecture.md ("Messages"), the builders the page and the worker send with,
// the page's gate (parseSandboxMessage), the sandbox's inline script (www/sandbox.html, which
// loads no files and so cannot import the list) and the types the worker's modules read.
// Plain node: no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protocol from '../../www/protocol.js';

const { MESSAGES, CONTROL_ACTIONS, RUN_KINDS, ROW_WIDTH } = protocol;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (/** @type {string} */ rel) => fs.readFileSync(path.join(root, rel), 'utf8');

/** @param {{from: string, to: string, type: string, fields: readonly string[]}} m */
const line = (m) => `${m.from} -> ${m.to} ${m.type}: ${m.fields.join(', ')}`;
/** The list's entry for a route and type. @param {string} from @param {string} to @param {string} type */
function entry(from, to, type) {
  const found = MESSAGES.filter((m) => m.from === from && m.to === to && m.type === type);
  assert.equal(found.length, 1, `one entry for ${from} -> ${to} ${type}`);
  return found[0];
}

test('the list names each route and type once', () => {
  const seen = new Set();
  for (const m of MESSAGES) {
    const key = `${m.from} -> ${m.to} ${m.type}`;
    assert.ok(!seen.has(key), `${key} twice`);
    seen.add(key);
    assert.equal(new Set(m.fields).size, m.fields.length, `${key}: a field twice`);
    assert.ok(!m.fields.includes('type'), `${key}: type is not a field`);
  }
});

test('docs/architecture.md\'s message table is the list, in its order', () => {
  const doc = read('docs/architecture.md');
  const start = doc.indexOf('\n## Messages\n');
  assert.ok(start >= 0, 'docs/architecture.md has a "## Messages" section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const rows = section.split('\n').filter((l) => l.startsWith('|')).slice(2); // header, rule
  const fromDoc = rows.map((row) => {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, `a row of four cells (route, type, fields, what for): ${row}`);
    const [from, to] = cells[0].split('→').map((s) => s.trim());
    const type = cells[1].replace(/`/g, '');
    const fields = cells[2] ? cells[2].split(',').map((s) => s.trim()) : [];
    return line({ from, to, type, fields });
  });
  assert.deepEqual(fromDoc, MESSAGES.map(line));
});

test('the builders send what the list says', () => {
  const n = 'nonce';
  const xs = new Float64Array(2);
  /** @type {[Record<string, any>, string, string][]} */
  const built = [
    [protocol.initMessage('glue', new ArrayBuffer(8), 'source'), 'page', 'sandbox'],
    [protocol.codeMessage('diagnose', 'glue', new ArrayBuffer(8)), 'page', 'sandbox'],
    [protocol.startMessage('a', 'run', '{}', 'script'), 'page', 'sandbox'],
    [protocol.controlMessage('a', 'pause'), 'page', 'sandbox'],
    [protocol.killMessage('a'), 'page', 'sandbox'],
    [protocol.progressMessage(n, [], {}), 'worker', 'sandbox'],
    [protocol.doneMessage(n, {}, {}, '{}', null), 'worker', 'sandbox'],
    [protocol.diagnosisMessage(n, {}, 'null'), 'worker', 'sandbox'],
    [protocol.errorMessage(n, 'words', null), 'worker', 'sandbox'],
    [protocol.helpersRequest(n, 1), 'worker', 'sandbox'],
    [protocol.batchMessage(1, xs, xs, 1, 1), 'worker', 'helper'],
    [protocol.helperReadyMessage(), 'helper', 'worker'],
    [protocol.valuesMessage(1, xs, 0.5), 'helper', 'worker'],
    [protocol.noValuesMessage(1), 'helper', 'worker'],
  ];
  for (const [msg, from, to] of built) {
    const m = entry(from, to, msg.type);
    assert.deepEqual(Object.keys(msg), ['type', ...m.fields], line(m));
  }
  // Every message the page or the worker sends has its builder; the sandbox's own are below.
  const senders = MESSAGES.filter((m) => m.from !== 'sandbox').map(line).sort();
  assert.deepEqual(built.map(([msg, from, to]) => line(entry(from, to, msg.type))).sort(), senders);
  assert.throws(() => protocol.startMessage('a', /** @type {any} */ ('diagnose: true'), '{}', 's'), /kind/);
  // The runs' code comes with 'init' only.
  assert.throws(() => protocol.codeMessage(/** @type {any} */ ('run'), 'glue', new ArrayBuffer(8)), /init/);
});

test('the page\'s gate lets through each sandbox -> page message with the listed fields, and nothing else', () => {
  const fit = { xDim: 1, yDim: 1, thetaDim: 1, yTrue: [1], yPred: [1], x: [0], thetaLearned: [0], thetaTrue: null };
  /** @type {Record<string, Record<string, any>>} */
  const samples = {
    ready: { type: 'ready' },
    progress: { type: 'progress', runId: 'a', rows: new Array(ROW_WIDTH).fill(1), status: { steps: 1 } },
    done: { type: 'done', runId: 'a', status: { steps: 1 }, fit, weights: '{}', sweep: null },
    diagnosis: { type: 'diagnosis', runId: 'a', status: { done: true }, report: 'null' },
    error: { type: 'error', runId: 'a', message: 'words', line: 3 },
  };
  const toPage = MESSAGES.filter((m) => m.from === 'sandbox' && m.to === 'page');
  assert.deepEqual(Object.keys(samples).sort(), toPage.map((m) => m.type).sort());
  for (const m of toPage) {
    const parsed = protocol.parseSandboxMessage(samples[m.type]);
    assert.ok(parsed, `${m.type} passes`);
    assert.deepEqual(Object.keys(parsed).sort(), ['type', ...m.fields].sort(), line(m));
  }
  for (const type of ['killed', 'helpers', 'start', 'batch', 'values']) {
    assert.equal(protocol.parseSandboxMessage({ type, runId: 'a' }), null, `${type} is dropped`);
  }
});

// The keys of an object literal in source text, from its opening brace: `key: v`, `key`,
// `...spread` (as '...'); nested literals and calls are skipped whole.
function literalKeys(text, open) {
  let depth = 0;
  let i = open;
  let part = '';
  const parts = [];
  for (; i < text.length; i++) {
    const c = text[i];
    if ('({['.includes(c)) depth++;
    if (')}]'.includes(c)) depth--;
    if (depth === 0) break;
    if (depth === 1 && c === ',') { parts.push(part); part = ''; } else if (i > open) part += c;
  }
  parts.push(part);
  return parts.map((p) => p.trim()).filter(Boolean).map((p) => (p.startsWith('...') ? '...' : /^(\w+)/.exec(p)?.[1] ?? p));
}

test('www/sandbox.html sends, relays and handles the listed messages only', () => {
  const html = read('www/sandbox.html');
  const script = html.slice(html.indexOf('<script>'), html.indexOf('</script>'));
  // Every message literal it writes: {type: '...', ...} with the listed fields.
  const sent = [];
  for (const m of script.matchAll(/\{ type: '(\w+)'/g)) {
    const type = m[1];
    const keys = literalKeys(script, /** @type {number} */ (m.index));
    const candidates = MESSAGES.filter((e) => e.from === 'sandbox' && e.type === type);
    assert.equal(candidates.length, 1, `the sandbox sends ${type}, a sandbox message of the list`);
    assert.deepEqual([...keys].sort(), ['type', ...candidates[0].fields].sort(), `${type}: ${keys.join(', ')}`);
    sent.push(type);
  }
  // What it relays: each worker -> sandbox message that is also a sandbox -> page one, with
  // the page's fields but the runId, which the sandbox stamps itself.
  const relayed = /const RELAYED = (\{.*\});/.exec(script);
  assert.ok(relayed, 'the sandbox has its RELAYED table');
  const table = JSON.parse(relayed[1].replace(/'/g, '"').replace(/(\w+):/g, '"$1":'));
  /** @type {Record<string, string[]>} */
  const expected = {};
  for (const w of MESSAGES.filter((m) => m.from === 'worker' && m.to === 'sandbox')) {
    const page = MESSAGES.find((m) => m.from === 'sandbox' && m.to === 'page' && m.type === w.type);
    if (!page) continue;
    assert.deepEqual(w.fields.filter((f) => f !== 'nonce'), page.fields.filter((f) => f !== 'runId'), `${w.type}: relayed as it came`);
    expected[w.type] = page.fields.filter((f) => f !== 'runId');
  }
  assert.deepEqual(table, expected);
  // Every message that starts at the sandbox is sent by it (literally, or relayed).
  const fromSandbox = MESSAGES.filter((m) => m.from === 'sandbox').map((m) => m.type);
  assert.deepEqual([...new Set([...sent, ...Object.keys(table)])].sort(), [...new Set(fromSandbox)].sort());
  // The types it reads: the page's (case '...') and a worker's (d.type === '...').
  const toSandbox = new Set(MESSAGES.filter((m) => m.to === 'sandbox').map((m) => m.type));
  for (const m of script.matchAll(/case '(\w+)'|(?<!typeof )\b\w+\.type [!=]== '(\w+)'/g)) {
    const type = m[1] ?? m[2];
    assert.ok(toSandbox.has(type), `the sandbox reads ${type}, which no one sends it`);
  }
  for (const m of MESSAGES.filter((e) => e.from === 'page' && e.to === 'sandbox')) {
    assert.ok(script.includes(`case '${m.type}'`), `the sandbox handles the page's ${m.type}`);
  }
  const list = (name) => JSON.parse(/** @type {RegExpExecArray} */ (new RegExp(`const ${name} = (\\[.*\\]);`).exec(script))[1].replace(/'/g, '"'));
  assert.deepEqual(list('ACTIONS'), CONTROL_ACTIONS);
  assert.deepEqual(list('KINDS'), RUN_KINDS);
});

test('the worker\'s modules read the types sent to a worker or a helper, and send through the builders', () => {
  const dir = path.join(root, 'www/worker');
  const toWorker = new Set(MESSAGES.filter((m) => m.to === 'worker' || m.to === 'helper').map((m) => m.type));
  let read = 0;
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    for (const m of text.matchAll(/(?<!typeof )\b\w+\.type [!=]== '(\w+)'/g)) {
      assert.ok(toWorker.has(m[1]), `${name} reads ${m[1]}, which no one sends a worker`);
      read++;
    }
    assert.doesNotMatch(text, /type: '\w+'/, `${name} writes a message by hand: use a builder of www/protocol.js`);
  }
  assert.ok(read > 0);
});
