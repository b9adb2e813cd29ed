// Types of www/editor.bundle.js, which `make bundle` writes from editor-src.js (not kept in git).
export { createEditor } from './editor-src.js';
