// Preset texts are frozen: a share link names a preset by its id (docs/share-links.md), so each
// id keeps its script for good, and a changed preset needs a new id. Plain node: no browser.
//
// Golden file (tests/golden/preset-hashes.json): `BLESS=1 node --test tests/js/` adds the hash
// of a preset that has none yet; a hash already there is never rewritten (old links name it).
// The same `BLESS=1` re-blesses every golden file of the repo (tests/share.rs,
// tests/results_fixture.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../../www/presets.js';

const HASHES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden/preset-hashes.json');

const sha = (/** @type {string} */ text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

test('preset texts are frozen: each id keeps its script (a changed preset needs a new id)', async () => {
  /** @type {Record<string, string>} */
  const frozen = JSON.parse(await fs.readFile(HASHES, 'utf8'));
  const missing = PRESETS.filter((p) => !(p.id in frozen));
  if (missing.length && process.env.BLESS) {
    for (const p of missing) frozen[p.id] = sha(p.script);
    await fs.writeFile(HASHES, `${JSON.stringify(frozen, null, 2)}\n`);
  }
  for (const [id, hash] of Object.entries(frozen)) {
    const p = PRESETS.find((q) => q.id === id);
    assert.ok(p, `preset "${id}" is gone: old share links name it. Keep it (mark it hidden: true to leave the menu).`);
    assert.equal(sha(p.script), hash, `preset "${id}" changed its script: old share links would open a different `
      + 'problem. Restore its text and add the new text as a new preset with a new id.');
  }
  for (const p of PRESETS) {
    assert.ok(p.id in frozen, `preset "${p.id}" is not frozen yet: BLESS=1 node --test tests/js/ adds its hash to tests/golden/preset-hashes.json`);
    assert.match(p.id, /^[a-z0-9][a-z0-9_-]{0,39}$/, 'a preset id a link can carry');
  }
});
