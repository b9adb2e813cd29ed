// What the browser tests put on the page's window (through page.evaluate), for the type
// checker (make lint). Nothing here runs.

/** One run on the sandbox tests' page (sandbox.test.mjs, TEST_PAGE_JS): what its callbacks saw. */
interface SandboxTestRun {
  progress: number;
  rows: number[];
  status: Record<string, any>;
  /** What onDone brought (null until then). */
  done: { status: Record<string, any>; fit: Record<string, any>; weightsChars: number };
  /** What onError brought (null until then, or for good). */
  error: { message: string; line: number | null };
  outcome: 'done' | 'error' | 'killed' | null;
  pausedSeen: number;
  started: number;
  waiting: boolean;
  stepsSeen: number[];
}

interface Window {
  /** sandbox.test.mjs: the runner under test and what every run reported. */
  sbx: {
    runner: import('../../www/runner.js').SandboxRunner;
    runs: Record<string, SandboxTestRun>;
    log: string[];
    ready: Promise<string>;
    start(runId: string, config: unknown, script: unknown, opts?: { label?: string }): Promise<SandboxTestRun>;
  };
  /** exports.test.mjs: the most methods seen running, and waiting, at once. */
  __seen: { maxRunning: number; waiting: number };
  /** page.test.mjs: a results row, and what was added to or removed from <body>. */
  __row: HTMLTableRowElement;
  __bodyChanges: string[];
  /** races.test.mjs: pixels of the loss chart within `tol` of colour `rgb`. */
  __countPixels(rgb: number[], tol: number): number;
  /** race-summary.test.mjs: what the page showed when its status became finished. */
  __atFinish: { verdict: string; timeNote: string; rows: string[]; charts: { id: string; coloured: number }[] } | null;
  /** progress.test.mjs: when the progress first passed 10% (its text then) and when the race finished. */
  __pace: { clicked: number; tenth: { at: number; text: string; value: number } | null; finished: number | null; log: { at: number; text: string }[] };
}
