// Typed messages between the math preview (src/webview/previewPanel.ts) and its page (media/src/preview.ts).
// The page validates what it receives; the extension validates what comes back (isFromPreview).

export const PREVIEW_VIEW_TYPE = 'qedNano.preview';

/** One rendered top-level block of the document (./src/render/documentHtml), by position. */
export interface PreviewBlock {
  index: number;
  html: string;
}

export type ToPreview =
  | {
    type: 'render';
    /** The document shown (for the page's title line and its saved state). */
    uri: string;
    fileName: string;
    language: 'latex' | 'markdown';
    version: number;
    /** How many blocks the document has now; blocks at or past it are removed. */
    count: number;
    /** Only the blocks that changed since the last message (all of them when `reset`). */
    blocks: PreviewBlock[];
    /** The page must drop what it shows (another document, or the page was rebuilt). */
    reset: boolean;
    /** Render errors (KaTeX messages), at most 20, and how many there were. */
    errors: string[];
    errorCount: number;
    /** LaTeX constructs shown as source. */
    unsupported: string[];
    renderMs: number;
  }
  /** Scroll to the block that holds this source line (the theorem under the cursor). */
  | { type: 'reveal'; line: number }
  /** Nothing to show (no LaTeX or Markdown editor is active). */
  | { type: 'empty'; message: string };

export type FromPreview =
  | { type: 'ready' }
  /** The page applied the render of this version; `text` is its DOM text (cut to 20,000 characters). */
  | { type: 'shown'; version: number; text: string }
  /** The user clicked a block: reveal this source line in the editor. */
  | { type: 'reveal'; line: number };

export function isFromPreview(value: unknown): value is FromPreview {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; line?: unknown };
  if (v.type === 'ready') return true;
  if (v.type === 'shown') {
    const w = value as { version?: unknown; text?: unknown };
    return typeof w.version === 'number' && typeof w.text === 'string' && w.text.length <= 20_000;
  }
  return v.type === 'reveal' && typeof v.line === 'number' && Number.isInteger(v.line) && v.line >= 0 && v.line < 10_000_000;
}
