/**
 * pdf.js, loaded on first use (it is large) with its worker bundled by Vite, and a page renderer
 * that fits a page to a width and cancels a render that is no longer wanted.
 */
import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';

type PdfJs = typeof import('pdfjs-dist');
let loading: Promise<PdfJs> | null = null;

/** The pdf.js module with its worker configured. */
export function pdfjs(): Promise<PdfJs> {
  loading ??= (async () => {
    const [lib, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
    lib.GlobalWorkerOptions.workerSrc = worker.default;
    return lib;
  })();
  return loading;
}

/** Opens a PDF from its bytes. */
export async function openPdf(data: ArrayBuffer): Promise<PDFDocumentProxy> {
  const lib = await pdfjs();
  return lib.getDocument({ data: new Uint8Array(data), isEvalSupported: false }).promise;
}

/** Renders one page into a canvas at `cssWidth` CSS pixels wide (sharp on high-DPI screens). */
export async function renderPage(
  pdf: PDFDocumentProxy,
  pageNumber: number,
  canvas: HTMLCanvasElement,
  cssWidth: number,
  previous: { task: RenderTask | null },
): Promise<{ width: number; height: number } | null> {
  previous.task?.cancel();
  const page = await pdf.getPage(pageNumber);
  const base = page.getViewport({ scale: 1 });
  const scale = cssWidth / base.width;
  const ratio = globalThis.devicePixelRatio || 1;
  const viewport = page.getViewport({ scale: scale * ratio });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
  canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
  const task = page.render({ canvas, viewport });
  previous.task = task;
  try {
    await task.promise;
  } catch (err) {
    if (err instanceof Error && err.name === 'RenderingCancelledException') return null;
    throw err;
  } finally {
    if (previous.task === task) previous.task = null;
  }
  return { width: viewport.width / ratio, height: viewport.height / ratio };
}
