// What the worker needs from the global scope, captured BEFORE any user code runs. The user's
// problem script runs in this same global scope (www/worker/script.js), so it can overwrite
// globals, add listeners or post messages of its own: everything the worker's messaging
// relies on later is taken here, at load, and the storage a run has no use for is removed.
// The bundle (make bundle: www/worker/main.js -> www/worker.bundle.js) evaluates this module
// first, and all of the worker's modules at load, before the sandbox's 'start' arrives.

export const post = self.postMessage.bind(self);
export const listen = self.addEventListener.bind(self);
export const FunctionCtor = Function;
export const F64 = Float64Array;
export const isArray = /** @type {(v: unknown) => boolean} */ (Array.isArray);
export const isView = /** @type {(v: unknown) => boolean} */ (ArrayBuffer.isView);
export const DataViewCtor = DataView;
// The wasm as the sandbox sends it: compiled once there, or bytes.
const WasmModule = WebAssembly.Module;
export const isWasmCode = (v) => v instanceof ArrayBuffer || v instanceof WasmModule;
export const isFiniteNumber = Number.isFinite;
export const isInteger = Number.isInteger;
export const jsonParse = JSON.parse;
export const jsonStringify = JSON.stringify;
export const setTimer = self.setTimeout.bind(self);
export const clearTimer = self.clearTimeout.bind(self);
export const WorkerCtor = self.Worker;
export const BlobCtor = Blob;
export const createUrl = URL.createObjectURL.bind(URL);
export const revokeUrl = URL.revokeObjectURL.bind(URL);
const regexExec = RegExp.prototype.exec;
export const apply = Reflect.apply;
export const exec = (re, s) => apply(regexExec, re, [s]);
export const Str = String;
// Reading an event through prototype accessors the script could redefine would let it
// blind this worker to 'pause' and 'stop': take the originals now.
export const eventData = /** @type {() => any} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data')).get);
export const stopEvent = Event.prototype.stopImmediatePropagation;

// Storage that outlives a run has no place in one. Chromium and Firefox refuse Cache Storage
// to an opaque origin, WebKit opens one (tests/browsers found it): these are taken out of
// the global before the user's code runs, whatever the engine.
for (const name of ['caches', 'indexedDB']) {
  for (let o = /** @type {any} */ (self); o; o = Object.getPrototypeOf(o)) {
    if (Object.getOwnPropertyDescriptor(o, name)?.configurable) delete o[name];
  }
  if (name in self) Object.defineProperty(self, name, { value: undefined });
}

// A turn of the event loop (messages first) through a private MessageChannel: faster than
// setTimeout(0) (which is clamped to 4 ms once nested) and out of the user's reach.
const turnChannel = new MessageChannel();
/** @type {(() => void)[]} */
const turns = [];
turnChannel.port1.onmessage = () => { turns.shift()?.(); };
/** @returns {Promise<void>} */
export const nextTurn = () => new Promise((resolve) => { turns.push(() => resolve(undefined)); turnChannel.port2.postMessage(0); });
