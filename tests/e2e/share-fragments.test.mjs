// End-to-end test of fragments that are no share link: a link whose text a chat program
// mangled (#!!abc%%) gets the message of a damaged link, and the page works; a fragment
// that names an element of the page (the skip link's #editor-panel) is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openReady, textOf, fill, runRace, screenshot } from './support/harness.mjs';

const env = useBrowser();

/** The alert a page opened at `#fragment` shows (null: none once the page is ready). */
async function alertAt(fragment, { run = false, expected = true } = {}) {
  const o = await openReady(env.browser, `${env.url}#${fragment}`);
  try {
    const alert = o.page.getByRole('alert');
    if (expected) await alert.waitFor({ state: 'visible', timeout: 10_000 });
    const shown = await alert.isVisible();
    const text = shown ? await textOf(alert) : null;
    if (run) {
      // The page works: a short race finishes.
      if (shown) await o.page.getByRole('button', { name: 'Dismiss' }).click();
      await fill(o.page, 'F-evaluation budget', 3000);
      await runRace(o.page, { timeout: 60_000 });
      await screenshot(o.page, 'share-mangled-fragment.png');
    }
    assert.deepEqual(o.consoleProblems, []);
    return text;
  } finally {
    await o.context.close();
  }
}

test('a fragment that is neither a share link nor an element id gets the damaged-link message', async () => {
  // A link whose characters were changed: the core's message.
  const damaged = await alertAt('v1.garbage');
  assert.match(damaged ?? '', /could not be opened.*damaged \(characters were changed\)/s);
  for (const mangled of ['!!abc%%', '!!abc', 'Join%20us!']) {
    assert.equal(await alertAt(mangled, { run: mangled === '!!abc%%' }), damaged, `#${mangled}`);
  }
  // An element's id is no link: no message.
  assert.equal(await alertAt('editor-panel', { expected: false }), null);
});
