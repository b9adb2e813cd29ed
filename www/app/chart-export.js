// Charts as PNG images, each drawn again at twice its size on screen: one chart (the PNG
// button under each chart: chart-<key>.png), or every chart shown as ONE image ("Export charts
// (PNG)": charts.png), the charts where they are on the page, under a strip with the legend
// (which colour is which method: the gradient-error and cosine charts name no line
// themselves) and the verdict.
import { $, button, darkMode, download, el } from './dom.js';
import { chartToggle } from './settings.js';
import { state } from './state.js';

/** PNGs are drawn at this many times the chart's size on screen. */
const SCALE = 2;

/** What a chart shows now, as drawChart's JSON (null: no plot). @typedef {(key: string) => string | null} PlottedJson */

/** A chart's name: the label of its tick under "Charts shown" ("Loss chart"); the data
 * profile, which shows with the loss chart, has none. @param {string} key */
function chartName(key) {
  const tick = document.querySelector(`label[for="${chartToggle(key)}"]`);
  return tick?.textContent?.trim() || (key === 'profile' ? 'Data profile' : key);
}

/**
 * The chart as an image SCALE times its size: drawn again from what it shows, else (nothing
 * plotted, no wasm) the canvas as it is.
 * @param {HTMLCanvasElement} canvas @param {string | null} json
 * @returns {HTMLCanvasElement}
 */
function drawnLarger(canvas, json) {
  const wasm = state.wasm;
  if (!json || !wasm) return canvas;
  const big = document.createElement('canvas');
  big.width = SCALE * canvas.width;
  big.height = SCALE * canvas.height;
  try {
    wasm.drawChart(big, json);
    return big;
  } catch {
    return canvas;
  }
}

/** @param {HTMLCanvasElement} canvas @returns {Promise<Blob | null>} */
const pngOf = (canvas) => new Promise((resolve) => { canvas.toBlob(resolve, 'image/png'); });

/**
 * The legend's methods shown (pressed), each with its colour and label as the page shows them.
 * @returns {{colour: string, label: string}[]}
 */
function legendEntries() {
  return [...$('legend').querySelectorAll('button[data-method][aria-pressed="true"]')].map((b) => ({
    colour: /** @type {HTMLElement | null} */ (b.querySelector('.line'))?.style.getPropertyValue('--c') || '#5d6374',
    label: (b.textContent ?? '').trim(),
  }));
}

/**
 * Lines of `text` that fit `width` in the context's font.
 * @param {CanvasRenderingContext2D} ctx @param {string} text @param {number} width
 */
function wrap(ctx, text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Every chart shown as one image: each drawn again SCALE times larger, in rows as on the page
 * (charts side by side there stay so; the captions between rows are left out), under the
 * legend's methods and the verdict. Null when no chart shows.
 * @param {Record<string, HTMLCanvasElement>} canvases @param {PlottedJson} plotted
 * @returns {HTMLCanvasElement | null}
 */
export function compositeImage(canvases, plotted) {
  const shown = Object.entries(canvases).filter(([, c]) => c.offsetParent !== null)
    .map(([key, canvas]) => ({ key, canvas, rect: canvas.getBoundingClientRect() }))
    .sort((a, b) => a.rect.top - b.rect.top || a.rect.left - b.rect.left);
  if (!shown.length) return null;
  const gap = SCALE * 12;
  // Rows: charts whose tops are level on the page.
  /** @type {(typeof shown)[]} */
  const rows = [];
  for (const s of shown) {
    const row = rows.at(-1);
    if (row && Math.abs(row[0].rect.top - s.rect.top) < 4) row.push(s);
    else rows.push([s]);
  }
  const left = Math.min(...shown.map((s) => s.rect.left));
  const width = SCALE * (Math.max(...shown.map((s) => s.rect.right)) - left);
  const rowHeights = rows.map((r) => SCALE * Math.max(...r.map((s) => s.rect.height)));
  const height = rowHeights.reduce((a, h) => a + h, 0) + gap * (rows.length - 1);
  const dark = darkMode();
  const pad = 16;
  const out = document.createElement('canvas');
  const ctx = /** @type {CanvasRenderingContext2D} */ (out.getContext('2d'));
  // The header: the legend's entries, wrapped, then the verdict's lines (its sentence, and the
  // time note on its own line).
  ctx.font = '15px system-ui, sans-serif';
  const swatch = 24;
  const lineHeight = 22;
  /** @type {{x: number, row: number, colour: string, label: string}[]} */
  const items = [];
  let x = 0;
  let row = 0;
  for (const e of legendEntries()) {
    const w = swatch + 8 + ctx.measureText(e.label).width;
    if (x > 0 && x + w > width) { x = 0; row++; }
    items.push({ x, row, ...e });
    x += w + 20;
  }
  const verdictBox = $('verdict');
  const verdict = verdictBox.hidden ? [] : [...verdictBox.children].map((c) => (c.textContent ?? '').trim()).filter(Boolean);
  const verdictLines = verdict.flatMap((p) => wrap(ctx, p, width));
  const legendRows = items.length ? row + 1 : 0;
  const lines = legendRows + verdictLines.length;
  const header = lines ? lines * lineHeight + pad : 0;
  out.width = Math.ceil(width + 2 * pad);
  out.height = Math.ceil(height + header + 2 * pad);
  ctx.fillStyle = dark ? '#0f1118' : '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.font = '15px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (const it of items) {
    const y = pad + it.row * lineHeight + lineHeight / 2;
    ctx.fillStyle = it.colour;
    ctx.fillRect(pad + it.x, y - 1.5, swatch, 3);
    ctx.fillStyle = dark ? '#e6e8ef' : '#1c1f2b';
    ctx.fillText(it.label, pad + it.x + swatch + 8, y);
  }
  ctx.fillStyle = dark ? '#9aa1b5' : '#4b5163';
  verdictLines.forEach((line, i) => ctx.fillText(line, pad, pad + (legendRows + i) * lineHeight + lineHeight / 2));
  let y = pad + header;
  rows.forEach((r, i) => {
    for (const { key, canvas, rect } of r) {
      ctx.drawImage(drawnLarger(canvas, plotted(key)), pad + SCALE * (rect.left - left), y, SCALE * rect.width, SCALE * rect.height);
    }
    y += rowHeights[i] + gap;
  });
  return out;
}

/**
 * Wires "Export charts (PNG)" (one image of every chart shown) and puts a PNG button under
 * each chart (that chart alone).
 * @param {Record<string, HTMLCanvasElement>} canvases  the charts, by key
 * @param {PlottedJson} plotted
 */
export function bindChartExports(canvases, plotted) {
  const all = button('export-png');
  all.title = 'Download every chart shown as one PNG image, with the legend and the verdict';
  all.addEventListener('click', () => {
    const image = compositeImage(canvases, plotted);
    if (image) pngOf(image).then((blob) => { if (blob) download('charts.png', blob); });
  });
  for (const [key, canvas] of Object.entries(canvases)) {
    const name = chartName(key);
    const caption = canvas.closest('figure')?.querySelector('figcaption');
    // Named "this chart", not by its name: a name holding another button's ("Step-size sweep"
    // holds "Step") would make that button's name ambiguous. The title names it.
    caption?.prepend(el('button', {
      type: 'button', class: 'chart-png', 'aria-label': 'Download this chart as PNG',
      title: `Download the ${name.toLowerCase()} as a PNG image, drawn at twice its size`,
      onclick: () => pngOf(drawnLarger(canvas, plotted(key))).then((blob) => { if (blob) download(`chart-${key}.png`, blob); }),
    }, 'PNG'));
  }
}
