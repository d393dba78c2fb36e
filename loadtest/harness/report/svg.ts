/** Small inline-SVG charts for the self-contained HTML report (no scripts, no external assets). */

/** One line of a chart. */
export interface Line {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

/** Chart options. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  logX?: boolean;
  logY?: boolean;
  /** Vertical marks (phase boundaries) at these x values. */
  marks?: { x: number; label: string }[];
  /** Horizontal reference lines (targets). */
  hlines?: { y: number; label: string }[];
  yMin?: number;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceTicks(min: number, max: number, n = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out.filter((v) => v >= min / 1.0001 && v <= max * 1.0001);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (Math.abs(v) >= 1) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 1000) / 1000);
}

/** A line chart as an SVG string. */
export function lineChart(lines: Line[], o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 240;
  const L = 56;
  const R = 12;
  const T = 26;
  const B = 40;
  const pts = lines.flatMap((l) => l.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0));
  if (pts.length === 0) return `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><text x="10" y="20" font-size="13">${esc(o.title)}: no data</text></svg>`;
  let xmin = Math.min(...pts.map((p) => p[0]));
  let xmax = Math.max(...pts.map((p) => p[0]));
  let ymin = o.yMin ?? (o.logY ? Math.min(...pts.map((p) => p[1])) : 0);
  let ymax = Math.max(...pts.map((p) => p[1]), ...(o.hlines ?? []).map((h) => h.y));
  if (xmax === xmin) xmax = xmin + 1;
  if (ymax === ymin) ymax = ymin + 1;
  if (!o.logY) ymax *= 1.05;
  if (o.logX) {
    xmin = 10 ** Math.floor(Math.log10(xmin));
    xmax = 10 ** Math.ceil(Math.log10(xmax));
  }
  if (o.logY) {
    ymin = 10 ** Math.floor(Math.log10(ymin));
    ymax = 10 ** Math.ceil(Math.log10(ymax));
  }
  const tx = (x: number) => L + ((o.logX ? Math.log10(x) - Math.log10(xmin) : x - xmin) / (o.logX ? Math.log10(xmax) - Math.log10(xmin) : xmax - xmin)) * (W - L - R);
  const ty = (y: number) => H - B - ((o.logY ? Math.log10(y) - Math.log10(ymin) : y - ymin) / (o.logY ? Math.log10(ymax) - Math.log10(ymin) : ymax - ymin)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  const xt = o.logX ? logTicks(xmin, xmax) : niceTicks(xmin, xmax);
  const yt = o.logY ? logTicks(ymin, ymax) : niceTicks(ymin, ymax);
  for (const v of xt) parts.push(`<line x1="${tx(v)}" x2="${tx(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${tx(v)}" y="${H - B + 14}" text-anchor="middle">${fmt(v)}</text>`);
  for (const v of yt) parts.push(`<line x1="${L}" x2="${W - R}" y1="${ty(v)}" y2="${ty(v)}" stroke="#eee"/><text x="${L - 4}" y="${ty(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  parts.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#888"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#888"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  for (const m of o.marks ?? []) {
    if (m.x < xmin || m.x > xmax) continue;
    parts.push(`<line x1="${tx(m.x)}" x2="${tx(m.x)}" y1="${T}" y2="${H - B}" stroke="#999" stroke-dasharray="3 3"/><text x="${tx(m.x) + 2}" y="${T + 9}" fill="#777" font-size="9">${esc(m.label)}</text>`);
  }
  for (const h of o.hlines ?? []) {
    if (h.y < ymin || h.y > ymax) continue;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${ty(h.y)}" y2="${ty(h.y)}" stroke="#dc2626" stroke-dasharray="6 3"/><text x="${W - R - 2}" y="${ty(h.y) - 3}" text-anchor="end" fill="#dc2626" font-size="10">${esc(h.label)}</text>`);
  }
  lines.forEach((l, i) => {
    const color = l.color ?? PALETTE[i % PALETTE.length]!;
    const ps = l.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0));
    if (ps.length === 0) return;
    const d = ps.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${tx(x).toFixed(1)},${ty(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (ps.length === 1) parts.push(`<circle cx="${tx(ps[0]![0])}" cy="${ty(ps[0]![1])}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${L + 8 + (i % 3) * 165}" y="${T + 4 + Math.floor(i / 3) * 13}" width="10" height="3" fill="${color}"/><text x="${L + 22 + (i % 3) * 165}" y="${T + 9 + Math.floor(i / 3) * 13}">${esc(l.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Grouped horizontal bars (e.g. ours vs peer per metric). */
export function barChart(groups: { label: string; bars: { name: string; value: number; unit: string }[] }[], title: string, width = 560): string {
  const rowH = 18;
  const gap = 10;
  const L = 170;
  const R = 90;
  const rows = groups.reduce((a, g) => a + g.bars.length, 0);
  const H = 30 + rows * rowH + groups.length * (gap + 16);
  const parts: string[] = [`<svg width="${width}" height="${H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11"><text x="4" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`];
  let y = 28;
  for (const g of groups) {
    const max = Math.max(...g.bars.map((b) => b.value), 1e-9);
    parts.push(`<text x="4" y="${y + 12}" font-weight="bold">${esc(g.label)}</text>`);
    y += 16;
    g.bars.forEach((b, i) => {
      const w = (b.value / max) * (width - L - R);
      parts.push(`<text x="${L - 6}" y="${y + 12}" text-anchor="end">${esc(b.name)}</text><rect x="${L}" y="${y + 2}" width="${Math.max(1, w)}" height="${rowH - 5}" fill="${PALETTE[i % PALETTE.length]}"/><text x="${L + w + 4}" y="${y + 12}">${fmt(b.value)} ${esc(b.unit)}</text>`);
      y += rowH;
    });
    y += gap;
  }
  parts.push('</svg>');
  return parts.join('');
}
