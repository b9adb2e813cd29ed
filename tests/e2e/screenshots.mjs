// Takes the README's screenshots: the page after a three-method run on the default
// preset, at 1280 px and at 400 px wide. Run with `make screenshots` (after `make build`).
import path from 'node:path';
import { serveStatic, launchBrowser, openPage, waitForState, waitForCharts, repoRoot } from './support/harness.mjs';

const out = path.join(repoRoot, 'docs');
const server = await serveStatic();
const browser = await launchBrowser();
try {
  for (const width of [1280, 400]) {
    const { page, context } = await openPage(browser, server.url, { width, height: 900 });
    for (const label of ['Forward differences', 'SPSA', 'Joint surrogate']) {
      await page.getByRole('checkbox', { name: label }).check();
    }
    await page.getByRole('spinbutton', { name: 'F-evaluation budget' }).fill('60000');
    await page.getByRole('button', { name: 'Run' }).click();
    await waitForState(page, ['finished', 'error'], 180_000);
    await waitForCharts(page);
    // The results table is redrawn a moment after the end, like the charts.
    await page.waitForFunction(() => !/\((running|waiting for a core)\)/.test(document.getElementById('results-body')?.textContent ?? ''));
    const file = path.join(out, `screenshot-${width}.png`);
    await page.screenshot({ path: file, fullPage: width === 400 ? false : true });
    console.log(`wrote ${path.relative(repoRoot, file)}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
