// The problem-script editor: CodeMirror 6 with JavaScript highlighting, line numbers and
// bracket matching, plus a small API for the page (get/set text, diagnostics at a line).
// esbuild bundles this file into www/editor.bundle.js (`make bundle`); the page imports the bundle.
//
// Syntax errors are flagged while typing from the editor's own parse tree (the page's CSP
// forbids `new Function`, so the page cannot compile the script); the sandbox worker is the
// authority and its errors (syntax or runtime, with a line) are shown with `showError`.
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { EditorState, Transaction } from '@codemirror/state';
import { javascript } from '@codemirror/lang-javascript';
import { syntaxTree, ensureSyntaxTree } from '@codemirror/language';
import { linter, lintGutter, setDiagnostics } from '@codemirror/lint';

/** Syntax errors found by the incremental parser: at most the first three. */
function syntaxDiagnostics(state) {
  const tree = ensureSyntaxTree(state, state.doc.length, 200) ?? syntaxTree(state);
  const found = [];
  tree.iterate({
    enter(node) {
      if (found.length >= 3) return false;
      if (node.type.isError) {
        const from = Math.min(node.from, state.doc.length);
        const line = state.doc.lineAt(from);
        const to = Math.max(Math.min(node.to, line.to), Math.min(from + 1, line.to));
        const near = state.doc.sliceString(from, Math.min(from + 12, line.to)).trim();
        found.push({
          from, to, severity: 'error', source: 'syntax',
          message: near
            ? `Syntax error at line ${line.number} near "${near}". Check brackets, commas and quotes.`
            : `Syntax error at line ${line.number}: the script ends early. A bracket or brace may be missing.`,
        });
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Creates the editor inside `parent`.
 * options: { doc: string, onChange(text, byUser), onRun() (Ctrl/Cmd+Enter), label = 'Problem script' }
 * Returns { view, getText, setText, showError(line, message, severity?), clearErrors, focus,
 *           syntaxErrors() }.
 * @param {HTMLElement} parent
 * @param {{doc?: string, onChange?: (text: string, byUser: boolean) => void, onRun?: () => void, label?: string}} [options]
 */
export function createEditor(parent, { doc = '', onChange = () => {}, onRun = () => {},
  label = 'Problem script' } = {}) {
  // Diagnostics from outside the editor (the sandbox): kept until the text changes.
  let external = [];

  const lintSource = (view) => [...syntaxDiagnostics(view.state), ...external];

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        keymap.of([{ key: 'Mod-Enter', run: () => { onRun(); return true; } }]),
        basicSetup,
        javascript(),
        EditorView.lineWrapping,
        lintGutter(),
        linter(lintSource, { delay: 350 }),
        EditorView.contentAttributes.of({ 'aria-label': label, spellcheck: 'false' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            external = [];
            // Typed, pasted, undone by the person (not set by the page: a preset, a link).
            const byUser = update.transactions.some((tr) => tr.annotation(Transaction.userEvent) !== undefined);
            onChange(update.state.doc.toString(), byUser);
          }
        }),
        EditorView.theme({
          '&': { height: '100%', fontSize: '13px' },
          '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
        }),
      ],
    }),
  });

  // Shows parser and sandbox diagnostics now (the linter only reruns after an edit).
  const publish = () => {
    view.dispatch(setDiagnostics(view.state, [...syntaxDiagnostics(view.state), ...external]));
  };

  const lineRange = (line) => {
    const n = Math.min(Math.max(1, Math.floor(line)), view.state.doc.lines);
    const l = view.state.doc.line(n);
    const start = l.from + (l.text.length - l.text.trimStart().length);
    return { from: start, to: Math.max(l.to, start) };
  };

  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    /** Marks `line` (1-based; null = the whole first line) with `message` and scrolls to it. */
    showError(line, message, severity = 'error') {
      const { from, to } = lineRange(line ?? 1);
      external = [{ from, to, severity, message, source: 'sandbox' }];
      publish();
      view.dispatch({ effects: EditorView.scrollIntoView(from, { y: 'nearest' }) });
    },
    clearErrors() {
      if (!external.length) return;
      external = [];
      publish();
    },
    /** Current syntax problems seen by the parser: [{line, message}]. */
    syntaxErrors() {
      return syntaxDiagnostics(view.state).map((d) => ({
        line: view.state.doc.lineAt(d.from).number, message: d.message,
      }));
    },
    focus: () => view.focus(),
  };
}
