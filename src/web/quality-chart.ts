/**
 * The last minute of estimated one-way delay as a small bar chart, one bar a second coloured by the
 * verdict, over the bands of ITU-T G.114 (05/2003) §4 with the 150 and 400 ms lines marked. Built
 * as SVG elements, not markup, and coloured by classes of style.css: the page's CSP (default-src
 * 'self') allows no inline style.
 */
import { GOOD_DELAY_MS, POOR_DELAY_MS, type Verdict } from './g114.js';

export interface ChartPoint {
  delayMs: number;
  verdict: Verdict;
}

export interface QualityChart {
  readonly root: SVGSVGElement;
  /** Draws the newest `SECONDS` points, the last at the right; `label` says in words what it shows. */
  draw(points: readonly ChartPoint[], label: string): void;
}

export const SECONDS = 60;
const NS = 'http://www.w3.org/2000/svg';
const BAR = 5;
const WIDTH = SECONDS * BAR;
const HEIGHT = 80;
/** The top of the scale: G.114 Figure 1 covers delays up to 500 ms; longer ones fill the chart. */
const TOP_MS = 500;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

const y = (ms: number) => HEIGHT - (Math.min(ms, TOP_MS) / TOP_MS) * HEIGHT;

function band(verdict: Verdict, fromMs: number, toMs: number): SVGRectElement {
  return svg('rect', { class: `band ${verdict}`, x: 0, y: y(toMs), width: WIDTH, height: y(fromMs) - y(toMs) });
}

function limit(ms: number): SVGElement[] {
  return [
    svg('line', { class: 'limit', x1: 0, x2: WIDTH, y1: y(ms), y2: y(ms) }),
    Object.assign(svg('text', { class: 'limit-label', x: 2, y: y(ms) - 2 }), { textContent: `${ms} ms` }),
  ];
}

export function createQualityChart(): QualityChart {
  const bars = svg('g', {});
  const root = svg('svg', { class: 'quality-chart', role: 'img', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT });
  root.append(
    band('good', 0, GOOD_DELAY_MS),
    band('acceptable', GOOD_DELAY_MS, POOR_DELAY_MS),
    band('poor', POOR_DELAY_MS, TOP_MS),
    ...limit(GOOD_DELAY_MS),
    ...limit(POOR_DELAY_MS),
    bars,
  );
  return {
    root,
    draw(points, label) {
      root.setAttribute('aria-label', label);
      const shown = points.slice(-SECONDS);
      const left = WIDTH - shown.length * BAR;
      bars.replaceChildren(
        ...shown.map((p, i) => {
          // At least a pixel high, so that a second of (nearly) no delay still shows as measured.
          const top = Math.min(y(p.delayMs), HEIGHT - 1);
          return svg('rect', { class: `bar ${p.verdict}`, x: left + i * BAR, y: top, width: BAR - 1, height: HEIGHT - top });
        }),
      );
    },
  };
}
