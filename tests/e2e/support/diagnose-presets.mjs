// Not a test: `node tests/e2e/support/diagnose-presets.mjs OUT_DIR [preset ...]` (after make build)
// diagnoses each preset (default: all) in the page, writes OUT_DIR/<preset>.json (diagnosis.json)
// and prints per preset the F-evaluations, each component's noise and noise-optimal steps and
// the recommendation: the numbers docs/diagnose.md compares before and after a change.
import fs from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, serveStatic, openReady, downloadJson } from './harness.mjs';

const [outDir, ...wanted] = process.argv.slice(2);
if (!outDir) throw new Error('usage: node tests/e2e/support/diagnose-presets.mjs OUT_DIR [preset ...]');
const presets = wanted.length ? wanted : ['smooth', 'projectile', 'staircase', 'noisy', 'curve', 'pharma', 'resonance'];
await fs.mkdir(outDir, { recursive: true });
const server = await serveStatic();
const browser = await launchBrowser();
const { page, context } = await openReady(browser, server.url);
const g = (/** @type {number | null} */ v) => (typeof v === 'number' ? v.toExponential(2) : '—');
for (const preset of presets) {
  await page.selectOption('#preset', preset);
  await page.evaluate(() => { /** @type {HTMLElement} */ (document.getElementById('diagnosis-advice')).textContent = ''; });
  await page.getByRole('button', { name: 'Diagnose F' }).click();
  await page.locator('#diagnosis-advice').filter({ hasText: 'Recommended' }).waitFor({ timeout: 300_000 });
  const d = await downloadJson(page, 'Export diagnosis');
  await fs.writeFile(path.join(outDir, `${preset}.json`), JSON.stringify(d, null, 1));
  const comps = d.components.map((/** @type {any} */ c) => `θ${c.index} noise ${g(c.noise)} hF ${g(c.hForward)} hC ${g(c.hCentral)}${c.flat ? ` flat@${g(c.flatStep)}` : ''}`);
  console.log(`${preset} | evals ${d.evals} (${(d.evals / d.components.length).toFixed(0)}/component) | ${d.recommended.methods.join('+')} ${JSON.stringify(d.recommended.settings)}`);
  for (const c of comps) console.log(`   ${c}`);
}
await context.close();
await browser.close();
await server.close();
