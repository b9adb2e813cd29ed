// `make lint-paths`: every repo path that README.md and docs/*.md name must exist.
//
// What counts as a path named: a word inside `backticks` or a fenced code block, or the
// target of a markdown link or an <img src>, that starts with a folder of the repo (src/,
// www/, tests/, docs/, .ci/, .cargo/) or is one of its top-level files (Makefile,
// Cargo.toml, ...). Backticked and fenced words are read from the repo's root, as the docs
// write them; link targets from the file's own folder, as markdown resolves them (a target
// that leaves the repo, such as ../shared/DESIGN.md, is not checked). A word with * or ?
// must match at least one file. Generated paths (GENERATED below) are not checked: a fresh
// clone does not have them.
//
//   node tests/lint/paths.mjs          exits 1 and lists every missing path by file and line
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Paths that the build or a run writes; the docs may name them, a clone does not have them.
const GENERATED = ['www/pkg/', 'www/editor.bundle.js', 'www/worker.bundle.js', 'target/', 'node_modules/'];
const FOLDERS = ['src/', 'www/', 'tests/', 'docs/', '.ci/', '.cargo/', 'target/', 'node_modules/'];
const TOP_FILES = ['Makefile', 'Cargo.toml', 'Cargo.lock', 'package.json', 'package-lock.json',
  'jsconfig.json', 'jsconfig.worker.json', 'webdriver.json', 'README.md', '.gitignore'];

function docs() {
  const dir = path.join(root, 'docs');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.md')).sort() : [];
  return ['README.md', ...names.map((n) => `docs/${n}`)];
}

// A word as written (`src/share/v1.rs`, `(www/schema.js:`, `tests/*.rs,`) -> the path in it.
function clean(word) {
  let w = word.replace(/^[("'<[]+/, '').replace(/[)"'>\],;.:!?]+$/, '');
  w = w.replace(/:\d+(-\d+)?$/, '');        // file.rs:12
  w = w.replace(/#.*$/, '');                // docs/races.md#schema
  return w;
}
const looksLikePath = (w) => FOLDERS.some((f) => w.startsWith(f)) || TOP_FILES.includes(w);
const generated = (p) => GENERATED.some((g) => (g.endsWith('/') ? p === g.slice(0, -1) || p.startsWith(g) : p === g));

// All files and folders under the root (not .git, target, node_modules), for the globs.
let listing = null;
function allPaths() {
  if (listing) return listing;
  listing = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (['.git', 'target', 'node_modules'].includes(p)) continue;
      if (e.isDirectory()) { listing.push(`${p}/`); walk(p); } else listing.push(p);
    }
  };
  walk('');
  return listing;
}
function globMatches(pattern) {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
  return allPaths().some((p) => re.test(p) || re.test(p.replace(/\/$/, '')));
}
function exists(rel) {
  if (/[*?]/.test(rel)) return globMatches(rel);
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return false;
  return !rel.endsWith('/') || fs.statSync(abs).isDirectory();
}

/** @returns {{file: string, line: number, path: string}[]} every path named, with where */
function named(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const found = [];
  const add = (line, p) => { if (looksLikePath(p) && !generated(p)) found.push({ file, line, path: p }); };
  // Fenced blocks: every word. Outside them, code spans (which may run over a line break,
  // never over a blank line) and link targets. Fences become blank lines, so that line
  // numbers stay and no span runs into or out of a fence.
  const lines = text.split('\n');
  let fence = false;
  const prose = lines.map((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) { fence = !fence; return ''; }
    if (!fence) return raw;
    for (const w of raw.split(/\s+/)) add(i + 1, clean(w));
    return '';
  }).join('\n');
  const lineAt = (offset) => prose.slice(0, offset).split('\n').length;
  const SPAN = /`([^`\n]+(?:\n(?![ \t]*\n)[^`\n]*)*)`/g;  // no blank line inside
  for (const m of prose.matchAll(SPAN)) for (const w of m[1].split(/\s+/)) add(lineAt(m.index), clean(w));
  // Link targets and image sources, relative to the file's folder (code spans blanked out).
  const spansOff = prose.replace(SPAN, (m) => m.replace(/[^\n]/g, ' '));
  const targets = [...spansOff.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...spansOff.matchAll(/\bsrc="([^"]+)"/g)];
  for (const m of targets) {
    const t = m[1];
    const line = lineAt(m.index);
    if (/^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('#')) continue;  // http:, mailto:, anchors
    const target = t.replace(/#.*$/, '');
    const rel = path.relative(root, path.resolve(root, path.dirname(file), target));
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;          // outside the repo
    const p = (rel || '.') + (target.endsWith('/') && rel ? '/' : '');
    if (!generated(p)) found.push({ file, line, path: p });
  }
  return found;
}

const all = docs().filter((f) => fs.existsSync(path.join(root, f))).flatMap(named);
const missing = all.filter((r) => !exists(r.path));
if (missing.length) {
  console.error(`${missing.length} path(s) named in the docs do not exist:`);
  for (const m of missing) console.error(`  ${m.file}:${m.line}: ${m.path}`);
  console.error('Fix the path, or, if the build writes it, add it to GENERATED in tests/lint/paths.mjs.');
  process.exit(1);
}
console.log(`paths: ${new Set(all.map((r) => r.path)).size} paths named in ${docs().length} files, all present`);
