// End-to-end: every control is labelled and reachable by keyboard, at 1280 and 400 px,
// and the narrow layout does not scroll sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, waitForState } from './support/harness.mjs';

const env = useBrowser();

for (const width of [1280, 400]) {
  test(`at ${width} px every visible control has a name and the main ones are reached with Tab`, async () => {
    const { page, context, consoleProblems } = await openPage(env.browser, env.url, { width, height: 900 });
    try {
      await waitForState(page, 'idle', 10_000);
      // Open the collapsed groups so their controls count too.
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
      const unnamed = await page.evaluate(() => {
        const visible = (e) => e.offsetParent !== null || e.getClientRects().length > 0;
        const named = (e) => {
          if (e.getAttribute('aria-label')?.trim()) return true;
          if (e.getAttribute('aria-labelledby')) return true;
          if (e.labels && [...e.labels].some((l) => l.textContent.trim())) return true;
          if ((e.tagName === 'BUTTON' || e.tagName === 'A') && e.textContent.trim()) return true;
          return Boolean(e.getAttribute('title')?.trim()) && e.tagName === 'BUTTON';
        };
        /** @type {NodeListOf<HTMLInputElement>} (the fields read below: type, labels) */
        const controls = document.querySelectorAll('input, select, textarea, button, a[href], [contenteditable="true"]');
        return [...controls]
          .filter((e) => visible(e) && e.type !== 'hidden' && !named(e))
          .map((e) => e.outerHTML.slice(0, 120));
      });
      assert.deepEqual(unnamed, [], 'controls without an accessible name');

      const reached = new Set();
      await page.locator('body').focus();
      for (let i = 0; i < 160; i++) {
        await page.keyboard.press('Tab');
        const name = await page.evaluate(() => {
          const e = /** @type {HTMLInputElement | null} */ (document.activeElement);
          if (!e || e === document.body) return '';
          return e.getAttribute('aria-label') || (e.labels?.[0]?.textContent ?? '').trim() || e.textContent.trim().slice(0, 40);
        });
        if (name) reached.add(name.replace(/\s+/g, ' '));
      }
      const names = [...reached].join(' | ');
      for (const want of ['Run', 'Preset', 'Problem script', 'F-evaluation budget', 'Seed', 'Central differences',
        'Learning rate', 'Batch size', 'Hidden layers']) {
        assert.ok([...reached].some((n) => n.includes(want)), `Tab never reached "${want}": ${names}`);
      }
      if (width === 400) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
      }
      assert.deepEqual(consoleProblems, []);
    } finally {
      await context.close();
    }
  });
}
