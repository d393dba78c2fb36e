/**
 * A small flow layout over pdf-lib for documents like the protocol: headings, wrapped paragraphs,
 * label/value blocks and tables whose rows wrap, break across pages and repeat their header,
 * then page footers once the page count is known. Fonts are DejaVu (Cyrillic), embedded as
 * subsets. With fixed metadata dates the output is byte-for-byte reproducible, which lets the
 * verifier re-render a PDF from its JSON and compare.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PDFDocument, rgb, degrees, type PDFFont, type PDFPage, type RGB } from 'pdf-lib';
import fontkit from '@pdf-lib/fontkit';

const require = createRequire(import.meta.url);

/** Where the DejaVu fonts are (the dejavu-fonts-ttf package). */
function fontDir(): string {
  return path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
}

/** A4 in points. */
const PAGE = { width: 595.28, height: 841.89 };
/** Margins: a wider left margin leaves room to bind the paper copy. */
const MARGIN = { left: 62, right: 42, top: 48, bottom: 58 };
const FOOTER_Y = 30;
const CELL_PAD = { x: 3.5, y: 3 };
const GRID = rgb(0.62, 0.62, 0.62);
const HEADER_FILL = rgb(0.91, 0.91, 0.91);
const MUTED = rgb(0.35, 0.35, 0.35);
const BLACK = rgb(0, 0, 0);
/** Tables up to this share of a page are moved whole to the next page rather than split. */
const KEEP_TOGETHER = 0.3;

/** Font faces. */
export type Face = 'regular' | 'bold' | 'mono';

/** One table column: a share of the width, alignment, face. */
export interface Column {
  header: string;
  /** Relative width; columns are scaled to the content width. */
  width: number;
  align?: 'left' | 'right' | 'center';
  face?: Face;
}

/** Text options. */
export interface TextStyle {
  face?: Face;
  size?: number;
  color?: RGB;
  align?: 'left' | 'center';
  indent?: number;
  spaceAfter?: number;
}

/** Document metadata (fixed dates make the output reproducible). */
export interface PdfMeta {
  title: string;
  author: string;
  subject: string;
  keywords: string[];
  lang: string;
  date: Date;
  producer: string;
}

/** A document being laid out. Create with `PdfLayout.create`, finish with `finish`. */
export class PdfLayout {
  private page: PDFPage;
  private y: number;
  /** True while nothing has been drawn on the current page. */
  private fresh = true;
  readonly width = PAGE.width - MARGIN.left - MARGIN.right;

  private constructor(
    private readonly doc: PDFDocument,
    private readonly fonts: Record<Face, PDFFont>,
    readonly bodySize: number,
  ) {
    this.page = this.doc.addPage([PAGE.width, PAGE.height]);
    this.y = PAGE.height - MARGIN.top;
  }

  /** Starts a document with embedded DejaVu fonts and the given metadata. */
  static async create(meta: PdfMeta, bodySize = 9): Promise<PdfLayout> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.registerFontkit(fontkit);
    const load = (file: string) => doc.embedFont(fs.readFileSync(path.join(fontDir(), file)), { subset: true });
    const [regular, bold, mono] = await Promise.all([load('DejaVuSans.ttf'), load('DejaVuSans-Bold.ttf'), load('DejaVuSansMono.ttf')]);
    doc.setTitle(meta.title, { showInWindowTitleBar: true });
    doc.setAuthor(meta.author);
    doc.setSubject(meta.subject);
    doc.setKeywords(meta.keywords);
    doc.setLanguage(meta.lang);
    doc.setProducer(meta.producer);
    doc.setCreator(meta.producer);
    doc.setCreationDate(meta.date);
    doc.setModificationDate(meta.date);
    return new PdfLayout(doc, { regular, bold, mono }, bodySize);
  }

  private lineHeight(size: number): number {
    return size * 1.32;
  }

  /** Starts a new page. */
  newPage(): void {
    this.page = this.doc.addPage([PAGE.width, PAGE.height]);
    this.y = PAGE.height - MARGIN.top;
    this.fresh = true;
  }

  private get room(): number {
    return this.y - MARGIN.bottom;
  }

  /** Moves to a new page unless `height` fits on this one. */
  ensure(height: number): void {
    if (height > this.room && !this.fresh) this.newPage();
  }

  /** Vertical space (dropped at the top of a page). */
  space(points: number): void {
    if (this.fresh) return;
    this.y -= Math.min(points, this.room);
  }

  /** Wraps text into lines that fit `width` at `size`: on spaces, and inside words too long for a line. */
  wrap(text: string, face: Face, size: number, width: number): string[] {
    const font = this.fonts[face];
    const measure = (s: string) => font.widthOfTextAtSize(s, size);
    const lines: string[] = [];
    for (const para of clean(text).split('\n')) {
      let line = '';
      for (const word of para.split(/ +/)) {
        const candidate = line ? `${line} ${word}` : word;
        if (measure(candidate) <= width) {
          line = candidate;
          continue;
        }
        if (line) lines.push(line);
        line = '';
        let rest = word;
        while (measure(rest) > width) {
          let n = rest.length;
          while (n > 1 && measure(rest.slice(0, n)) > width) n--;
          lines.push(rest.slice(0, n));
          rest = rest.slice(n);
        }
        line = rest;
      }
      lines.push(line);
    }
    return lines;
  }

  private drawLine(text: string, x: number, y: number, face: Face, size: number, color: RGB = BLACK): void {
    if (text) this.page.drawText(text, { x, y, size, font: this.fonts[face], color });
  }

  /** A wrapped paragraph. */
  paragraph(text: string, style: TextStyle = {}): void {
    const face = style.face ?? 'regular';
    const size = style.size ?? this.bodySize;
    const indent = style.indent ?? 0;
    const lh = this.lineHeight(size);
    const lines = this.wrap(text, face, size, this.width - indent);
    for (const line of lines) {
      this.ensure(lh);
      this.y -= lh;
      const w = this.fonts[face].widthOfTextAtSize(line, size);
      const x = style.align === 'center' ? MARGIN.left + (this.width - w) / 2 : MARGIN.left + indent;
      this.drawLine(line, x, this.y + size * 0.28, face, size, style.color);
      this.fresh = false;
    }
    this.space(style.spaceAfter ?? size * 0.5);
  }

  /** A heading, kept on the page with at least a few lines after it. */
  heading(text: string, level: 1 | 2 | 3): void {
    const size = level === 1 ? 12 : level === 2 ? 10.5 : 9.5;
    const lines = this.wrap(text, 'bold', size, this.width);
    this.space(level === 1 ? 10 : level === 2 ? 8 : 5);
    this.ensure(lines.length * this.lineHeight(size) + 4 * this.lineHeight(this.bodySize));
    this.paragraph(text, { face: 'bold', size, spaceAfter: level === 3 ? 2 : 4 });
  }

  /** Label/value pairs in two columns without a grid. */
  facts(rows: readonly (readonly [string, string])[], labelWidth = 0.32): void {
    this.table([{ header: '', width: labelWidth, face: 'bold' }, { header: '', width: 1 - labelWidth }], rows.map((r) => [...r]), { grid: false, header: false });
  }

  /** A table: rows wrap within their cells, break across pages, and the header repeats on each page. */
  table(columns: readonly Column[], rows: readonly (readonly string[])[], opts: { size?: number; grid?: boolean; header?: boolean } = {}): void {
    const size = opts.size ?? this.bodySize - 0.5;
    const grid = opts.grid ?? true;
    const lh = this.lineHeight(size);
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const layout = (cells: readonly string[], face?: Face) =>
      columns.map((c, i) => this.wrap(cells[i] ?? '', face ?? c.face ?? 'regular', size, widths[i]! - 2 * CELL_PAD.x));
    const header = opts.header === false ? null : layout(columns.map((c) => c.header), 'bold');
    const heightOf = (lines: string[][], n?: number) => (n ?? Math.max(1, ...lines.map((l) => l.length))) * lh + 2 * CELL_PAD.y;

    const drawRow = (lines: string[][], from: number, count: number, isHeader: boolean) => {
      const h = count * lh + 2 * CELL_PAD.y;
      const top = this.y;
      let x = MARGIN.left;
      columns.forEach((c, i) => {
        const w = widths[i]!;
        if (grid) {
          this.page.drawRectangle({ x, y: top - h, width: w, height: h, borderColor: GRID, borderWidth: 0.5, ...(isHeader ? { color: HEADER_FILL } : {}) });
        }
        const face: Face = isHeader ? 'bold' : (c.face ?? 'regular');
        const cell = lines[i]!.slice(from, from + count);
        cell.forEach((text, k) => {
          const tw = this.fonts[face].widthOfTextAtSize(text, size);
          const inner = w - 2 * CELL_PAD.x;
          const dx = c.align === 'right' && !isHeader ? inner - tw : c.align === 'center' || (isHeader && c.align === 'right') ? (inner - tw) / 2 : 0;
          this.drawLine(text, x + CELL_PAD.x + dx, top - CELL_PAD.y - (k + 1) * lh + size * 0.3, face, size);
        });
        x += w;
      });
      this.y -= h;
      this.fresh = false;
    };
    const drawHeader = () => {
      if (header) drawRow(header, 0, Math.max(...header.map((l) => l.length)), true);
    };

    // A short table stays on one page; a long one starts where at least its header and a row fit.
    const laidOut = rows.map((r) => layout(r));
    const headerH = header ? heightOf(header) : 0;
    const whole = headerH + laidOut.reduce((sum, l) => sum + heightOf(l), 0);
    const usable = PAGE.height - MARGIN.top - MARGIN.bottom;
    const first = laidOut[0];
    this.ensure(whole <= usable * KEEP_TOGETHER ? whole : headerH + (first ? Math.min(heightOf(first), 3 * lh) : 0));
    drawHeader();
    for (const lines of laidOut) {
      const n = Math.max(1, ...lines.map((l) => l.length));
      let from = 0;
      let broke = false;
      while (from < n) {
        const fit = Math.floor((this.room - 2 * CELL_PAD.y) / lh);
        const left = n - from;
        // A row moves whole to the next page; only a row taller than a page is split (two lines at least per part).
        const splittable = n * lh > usable - headerH - 2 * CELL_PAD.y;
        if (fit < (splittable ? Math.min(left, 2) : left) && !broke) {
          this.newPage();
          drawHeader();
          broke = true;
          continue;
        }
        const count = Math.max(1, Math.min(fit, left));
        drawRow(lines, from, count, false);
        from += count;
        broke = false;
      }
    }
    this.space(size * 0.8);
  }

  /** A signature line: the role at the left, a line to sign on, the name (wrapped) at the right. */
  signatureLine(label: string, name: string): void {
    const lh = this.lineHeight(this.bodySize);
    const labelW = this.width * 0.28;
    const lineW = this.width * 0.22;
    const nameX = MARGIN.left + labelW + lineW + 8;
    const labels = this.wrap(label, 'regular', this.bodySize, labelW - 8);
    // The slashes stay with the words next to them.
    const names = this.wrap(`/\u00a0${name.replace(/ (\S+)$/, '\u00a0$1')}\u00a0/`, 'regular', this.bodySize, MARGIN.left + this.width - nameX);
    const n = Math.max(labels.length, names.length);
    this.ensure((n + 3) * lh);
    this.y -= 2.5 * lh;
    const base = this.y;
    labels.forEach((l, k) => this.drawLine(l, MARGIN.left, base - k * lh, 'regular', this.bodySize));
    this.page.drawLine({ start: { x: MARGIN.left + labelW, y: base - 2 }, end: { x: MARGIN.left + labelW + lineW, y: base - 2 }, thickness: 0.6, color: BLACK });
    names.forEach((l, k) => this.drawLine(l, nameX, base - k * lh, 'regular', this.bodySize));
    this.y = base - n * lh;
    this.fresh = false;
  }

  /** Draws footers (and a diagonal mark, e.g. for drafts) on every page and returns the PDF bytes. */
  async finish(footer: { left: string; right: (page: number, of: number) => string }, mark?: string): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    const size = 6.5;
    pages.forEach((p, i) => {
      p.drawLine({ start: { x: MARGIN.left, y: FOOTER_Y + 10 }, end: { x: PAGE.width - MARGIN.right, y: FOOTER_Y + 10 }, thickness: 0.4, color: GRID });
      const right = footer.right(i + 1, pages.length);
      const rw = this.fonts.regular.widthOfTextAtSize(right, size + 0.5);
      p.drawText(right, { x: PAGE.width - MARGIN.right - rw, y: FOOTER_Y, size: size + 0.5, font: this.fonts.regular, color: MUTED });
      const leftLines = this.wrap(footer.left, 'mono', size, this.width - rw - 12);
      leftLines.slice(0, 2).forEach((l, k) => p.drawText(l, { x: MARGIN.left, y: FOOTER_Y - k * (size + 1.5), size, font: this.fonts.mono, color: MUTED }));
      if (mark) {
        const ms = 96;
        const mw = this.fonts.bold.widthOfTextAtSize(mark, ms);
        const c = Math.SQRT1_2;
        p.drawText(mark, {
          x: PAGE.width / 2 - (mw / 2) * c + (ms / 3) * c,
          y: PAGE.height / 2 - (mw / 2) * c - (ms / 3) * c,
          size: ms,
          font: this.fonts.bold,
          color: rgb(0.8, 0.1, 0.1),
          opacity: 0.12,
          rotate: degrees(45),
        });
      }
    });
    return this.doc.save({ useObjectStreams: false });
  }
}

/** Removes characters a PDF line cannot show (controls, tabs) while keeping newlines. */
function clean(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '');
}
