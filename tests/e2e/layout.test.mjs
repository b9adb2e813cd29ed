// End-to-end tests of the page's layout as a person sees it: every placeholder reads whole
// in its input at 400, 1024 and 1400 px (the per-method rate box read "sharec"), and at
// 1400 px the tables (results with every method, diagnosis) scroll inside their own box,
// never the page sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openReady, fill, runRace, screenshot } from './support/harness.mjs';

const env = useBrowser();

/** Every visible input with a placeholder: its text's width in the input's font against the
 * room inside the input, and the input's scroll and client widths. */
const placeholders = (page) => page.evaluate(() => {
  const ctx = /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
  return [...document.querySelectorAll('input[placeholder]')]
    .filter((i) => /** @type {HTMLElement} */ (i).offsetParent !== null)
    .map((e) => {
      const i = /** @type {HTMLInputElement} */ (e);
      const cs = getComputedStyle(i);
      ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      return {
        id: i.id, text: i.placeholder, textWidth: ctx.measureText(i.placeholder).width,
        room: i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
        scrollWidth: i.scrollWidth, clientWidth: i.clientWidth,
      };
    });
});

for (const width of [400, 1024, 1400]) {
  test(`at ${width} px every placeholder reads whole in its input`, async () => {
    const { page, context, consoleProblems } = await openReady(env.browser, env.url, { width });
    try {
      const list = await placeholders(page);
      assert.ok(list.some((p) => p.id === 'method-rate-central'), 'the per-method rate boxes are checked');
      for (const p of list) {
        assert.ok(p.scrollWidth <= p.clientWidth, `${p.id}: scrollWidth ${p.scrollWidth} > clientWidth ${p.clientWidth}`);
        assert.ok(p.textWidth <= p.room, `${p.id}: "${p.text}" needs ${p.textWidth.toFixed(1)} px, has ${p.room}`);
      }
      assert.equal(await page.locator('#method-rate-central').getAttribute('placeholder'), 'shared');
      await page.locator('#method-list').screenshot({ path: `tests/e2e/artifacts/method-list-${width}.png` });
      assert.deepEqual(consoleProblems, []);
    } finally {
      await context.close();
    }
  });
}

/** The page's sideways scroll, and each table box's: its widths, where it ends and where its
 * panel ends. */
const sideways = (page) => page.evaluate(() => {
  const d = /** @type {Element} */ (document.scrollingElement);
  return {
    page: { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth },
    boxes: [...document.querySelectorAll('.table-wrap, .diagnosis-table-wrap')]
      .filter((w) => /** @type {HTMLElement} */ (w).offsetParent !== null)
      .map((w) => ({
        cls: w.className, scrollWidth: w.scrollWidth, clientWidth: w.clientWidth, overflowX: getComputedStyle(w).overflowX,
        right: w.getBoundingClientRect().right, panelRight: /** @type {Element} */ (w.closest('.panel')).getBoundingClientRect().right,
        tableRight: /** @type {Element} */ (w.querySelector('table')).getBoundingClientRect().right,
      })),
  };
});

/** The page does not scroll sideways; a table wider than its box scrolls inside it, and the
 * box ends inside its panel (its own scrollbar in view). */
function assertNoSidewaysScroll(s, when) {
  assert.ok(s.page.scrollWidth <= s.page.clientWidth, `${when}: the page scrolls sideways (${s.page.scrollWidth} > ${s.page.clientWidth})`);
  for (const b of s.boxes) {
    assert.ok(b.right <= b.panelRight + 0.5 && b.right <= s.page.clientWidth, `${when}: ${b.cls} ends at ${b.right}, its panel at ${b.panelRight}`);
    if (b.scrollWidth > b.clientWidth) assert.match(b.overflowX, /auto|scroll/, `${when}: ${b.cls} is wider than its box and does not scroll`);
  }
}

test('at 1400 px a race of every method and a diagnosis leave the page without sideways scroll', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url, { width: 1400 });
  try {
    await page.selectOption('#preset', 'smooth'); // it has dF: every method can run
    for (const box of await page.locator('#method-list input[type=checkbox]').all()) if (!(await box.isChecked())) await box.check();
    await fill(page, 'F-evaluation budget', 2000);
    await fill(page, 'Log points', 5);
    await runRace(page, { timeout: 300_000 });
    const afterRace = await sideways(page);
    assert.ok(afterRace.boxes.some((b) => b.cls === 'table-wrap'), 'the results table is on show');
    assertNoSidewaysScroll(afterRace, 'after a race of every method');

    await page.getByRole('button', { name: 'Diagnose F' }).click();
    await page.locator('#diagnosis-advice').filter({ hasText: 'Recommended' }).waitFor({ timeout: 120_000 });
    const afterDiagnosis = await sideways(page);
    assert.ok(afterDiagnosis.boxes.some((b) => b.cls === 'diagnosis-table-wrap'), 'the diagnosis table is on show');
    assertNoSidewaysScroll(afterDiagnosis, 'after a diagnosis');
    await screenshot(page, 'layout-1400.png');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
