// Not a test: `node tests/e2e/support/follow-recommendations.mjs smooth noisy ...` (after make build)
// measures the README's table in "Diagnose F".
// For each preset: Diagnose F, Use only this (the recommended methods alone), Run; prints the
// advice and what it gave.
import { launchBrowser, serveStatic, openReady, waitForState, exportResults } from './harness.mjs';
const server = await serveStatic();
const browser = await launchBrowser();
const { page, context } = await openReady(browser, server.url);
for (const preset of process.argv.slice(2)) {
  await page.selectOption('#preset', preset);
  await page.evaluate(() => { /** @type {HTMLElement} */ (document.getElementById('diagnosis-advice')).textContent = ''; });
  await page.getByRole('button', { name: 'Diagnose F' }).click();
  await page.locator('#diagnosis-advice').filter({ hasText: 'Recommended' }).waitFor({ timeout: 120000 });
  const advice = await page.locator('#diagnosis-advice').textContent();
  await page.getByRole('button', { name: 'Use only this' }).click();
  await page.getByRole('button', { name: 'Run' }).click();
  await waitForState(page, ['finished', 'error'], 900000);
  const r = await exportResults(page);
  const out = r.runs.map((run) => {
    const t = run.history.map((h) => h.trainLoss).filter(Number.isFinite);
    const s = r.summary.find((x) => x.method === run.method);
    return `${run.method}: ${t[0].toPrecision(3)} -> ${t.at(-1).toPrecision(3)} (${(t[0] / t.at(-1)).toFixed(0)}x), to 5%: ${s?.evalsToTarget?.median ?? 'not reached'}`;
  });
  console.log(`${preset} | evals ${r.diagnosis?.evals} | ${advice}\n   ${out.join('\n   ')}`);
}
await context.close(); await browser.close(); server.close();
