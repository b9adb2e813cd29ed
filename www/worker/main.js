// Worker source for ONE run of ONE method (or one diagnosis of F), or for one of its helpers.
// esbuild bundles this module and its imports into ONE classic script, www/worker.bundle.js
// (make bundle); the page fetches that as text and posts it to the sandbox iframe, which
// starts it as a CLASSIC blob Worker (opaque origin, CSP with connect-src 'none'). Here the
// user's problem script is compiled with `new Function` (script.js), the wasm core is
// instantiated from the module or bytes the sandbox posted, and the core is driven in short
// chunks so that pause/resume/step/stop messages are handled between them (run.js); F's
// batches may be shared with helpers (helpers.js). Messages: www/protocol.js and
// docs/architecture.md, "Messages"; each message this worker sends carries the `nonce` of its
// start (see sandbox.html), and the sandbox adds the runId.
//
// The user's code runs in this same global scope, so everything this worker needs later
// (postMessage, the message listener, a few builtins) is captured BEFORE that code runs
// (primordials.js, evaluated first): the script can then overwrite globals, add listeners or
// post messages of its own without breaking this worker's messaging, and cannot read the
// nonce that the sandbox checks.
import { listen, apply, eventData, stopEvent, isArray } from './primordials.js';
import { boot, control } from './run.js';
import { takeHelpers, bootHelper } from './helpers.js';

/** What this worker is, once its first message says: a run's worker or a helper. @type {'run' | 'helper' | null} */
let role = null;

// Registered first and in the capture phase, so it runs before any listener the user's
// script adds; it stops the event there, so the script never sees the sandbox's messages.
listen('message', (ev) => {
  apply(stopEvent, ev, []);
  const m = apply(eventData, ev, []);
  if (m === null || typeof m !== 'object') return;
  if (m.type === 'start' && role === null && typeof m.nonce === 'string') {
    role = 'run';
    boot(m);
  } else if (m.type === 'control' && role === 'run') {
    control(m.action);
  } else if (m.type === 'helpers' && role === 'run' && isArray(m.ports)) {
    takeHelpers(m.ports);
  } else if (m.type === 'helper' && role === null && m.port instanceof MessagePort) {
    role = 'helper'; // one start only
    bootHelper(m);
  }
}, { capture: true });
