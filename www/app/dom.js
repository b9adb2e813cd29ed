// Small DOM helpers: look-ups by id, building elements, writes that leave an unchanged value
// alone, the browser's storage, downloads, the system's dark mode. No state of their own.

/**
 * The element with this id; the page's ids are fixed in index.html, so a missing one is a
 * bug and throws at once.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html has no element #${id}`);
  return e;
}

/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Field */

/**
 * The form field with this id (an input, a select or a text area).
 * @param {string} id
 * @returns {Field}
 */
export const field = (id) => /** @type {Field} */ ($(id));

/**
 * The <input> with this id.
 * @param {string} id
 * @returns {HTMLInputElement}
 */
export const input = (id) => /** @type {HTMLInputElement} */ ($(id));

/**
 * The <button> with this id.
 * @param {string} id
 * @returns {HTMLButtonElement}
 */
export const button = (id) => /** @type {HTMLButtonElement} */ ($(id));

/**
 * A new element: `props` become attributes (`class`, `style` as text, `on…` listeners), then
 * the children are appended (null and undefined are skipped).
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node | string | null | undefined | (Node | string | null | undefined)[])} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// Writes that leave an unchanged value alone: during a run the page is updated many times a
// second, and even a same-value write of textContent makes the browser lay the page out again.

/**
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * @template {object} T
 * @template {keyof T} K
 * @param {T} node
 * @param {K} name
 * @param {T[K]} value
 */
export function setProp(node, name, value) {
  if (node[name] !== value) node[name] = value;
}

/** The browser's local storage; a full or disabled one reads as empty and ignores writes. */
export const storage = {
  /** @param {string} k */
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  /** @param {string} k @param {string} v */
  set(k, v) { try { localStorage.setItem(k, v); } catch { /* storage full or disabled */ } },
};

/** Keys of what the page keeps in local storage. */
export const STORAGE = Object.freeze({
  script: 'bbp.script', settings: 'bbp.settings', preset: 'bbp.preset', methods: 'bbp.methods',
  // The person's own script ("My script" in the Preset menu), kept whatever preset is shown.
  myScript: 'bbp.myScript',
});

/**
 * Makes the browser download `blob` as `name`.
 * @param {string} name
 * @param {Blob} blob
 */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  // Late enough for a download that starts slowly on a busy machine.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The system's dark mode: the charts follow it as the page does. */
const DARK = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/** Whether the system is in dark mode now. */
export const darkMode = () => Boolean(DARK?.matches);

/** Calls `listener` whenever the system's dark mode turns on or off. @param {() => void} listener */
export function onDarkModeChange(listener) {
  DARK?.addEventListener('change', listener);
}

/** @param {unknown} v */
export const jsonBlob = (v) => new Blob([JSON.stringify(v, null, 2)], { type: 'application/json' });
