// What every chart and heatmap of the app shares: series colours, axis titles, tooltip rounding and
// the heatmaps' colour scale, so that a loss reads the same in the training view, the run comparison
// and the method comparison (and in its PNG export, which draws the same SVG).

import { formatSignificant } from './format';

export const CHART = { background: '#171d24', grid: '#2a333d', axis: '#8b98a5', text: '#e6edf3' } as const;

/** The unit of every loss the app plots: mean cross-entropy (natural log) over the completion's tokens. */
export const LOSS_AXIS = 'loss (nats/token)';
export const STEP_AXIS = 'step';
export const LR_AXIS = 'learning rate';

export interface SeriesColours {
  train: string;
  validation: string;
}

// Per hue, the train curve and a much lighter tint of it for validation: the hue says which run or
// method, the lightness (with the dashes and dots) which of its two curves.
const PAIRS: readonly SeriesColours[] = [
  { train: '#34d399', validation: '#bbf7d0' },
  { train: '#60a5fa', validation: '#dbeafe' },
  { train: '#f472b6', validation: '#fce7f3' },
  { train: '#fbbf24', validation: '#fef3c7' },
  { train: '#a78bfa', validation: '#ede9fe' },
  { train: '#f87171', validation: '#fee2e2' },
  { train: '#2dd4bf', validation: '#ccfbf1' },
  { train: '#fb923c', validation: '#ffedd5' },
];

/** One run alone has no hue to keep for it, so its validation curve takes a contrasting one. */
const SINGLE: SeriesColours = { train: '#34d399', validation: '#fbbf24' };

/** The colours of series `index` of `total` (runs overlaid, or methods compared). */
export function seriesColours(index: number, total: number): SeriesColours {
  if (total === 1) return SINGLE;
  return PAIRS[((index % PAIRS.length) + PAIRS.length) % PAIRS.length];
}

/** Recharts axis-title props: below the x axis, along the y axis. */
export function xAxisTitle(value: string) {
  return { value, position: 'insideBottom' as const, offset: -2, fill: CHART.axis, fontSize: 12 };
}

export function yAxisTitle(value: string) {
  return { value, angle: -90, position: 'insideLeft' as const, offset: 4, fill: CHART.axis, fontSize: 12, style: { textAnchor: 'middle' as const } };
}

/** The y axis's width: its title beside ticks as wide as 1.5e-4. */
export const Y_AXIS_WIDTH = 76;

/** The legend under the x axis's title, clear of it. */
export const LEGEND_STYLE = { paddingTop: 8 };

/** Room for the axis titles: the x title under the ticks, the y title left of them. */
export const CHART_MARGIN = { top: 8, right: 16, bottom: 4, left: 4 };

/** Tooltip props: the step as its label and every value rounded (2.4239465860882774 reads 2.424). */
export const TOOLTIP = {
  contentStyle: { background: CHART.background, border: `1px solid ${CHART.grid}` },
  labelStyle: { color: CHART.text },
  formatter: (value: unknown) => chartValue(value),
  labelFormatter: (label: unknown) => `${STEP_AXIS} ${chartValue(label)}`,
};

/** A train curve: a solid line, dots only where the pointer is. */
export function trainStyle(colour: string) {
  return { stroke: colour, strokeWidth: 2, dot: false as const, activeDot: { r: 4 }, isAnimationActive: false, connectNulls: true };
}

/** Above this many evaluations the dots would merge into a thick line; the dashed curve is enough. */
const MAX_DOTS = 60;

/**
 * A validation curve of `evaluations` points: dashed, with a dot at every evaluation (outlined
 * against the background), so that a run evaluated only at its end still shows its one point.
 */
export function validationStyle(colour: string, evaluations: number) {
  return {
    stroke: colour,
    strokeWidth: 2,
    strokeDasharray: '6 4',
    dot: evaluations <= MAX_DOTS ? { r: 5, fill: colour, stroke: CHART.background, strokeWidth: 1.5, strokeDasharray: '', className: 'series-validation-dot' } : (false as const),
    activeDot: { r: 7 },
    isAnimationActive: false,
    connectNulls: true,
  };
}

/** A tooltip's or tick's value: numbers to 4 significant digits, anything else as it is. */
export function chartValue(value: unknown): string {
  return typeof value === 'number' ? formatSignificant(value) : Array.isArray(value) ? value.map(chartValue).join(' – ') : String(value ?? '');
}

/** The heatmaps' colour at t ∈ [0, 1] of the shown range: dark teal (low) to bright orange (high). */
export function heatColour(t: number): string {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return `hsl(${round1(160 - 130 * x)}, 70%, ${round1(18 + 30 * x)}%)`;
}

/** The CSS gradient of the colour scale's legend, from low (left) to high (right). */
export function heatGradient(stops = 9): string {
  const colours = Array.from({ length: stops }, (_, i) => heatColour(i / (stops - 1)));
  return `linear-gradient(to right, ${colours.join(', ')})`;
}

// Pure white and black: any colour scale passes a luminance where the two texts contrast equally,
// and only these two keep that point at 4.5:1 or more (WCAG 1.4.3 for the cells' small numbers).
const LIGHT_TEXT = '#ffffff';
const DARK_TEXT = '#000000';

/** The text colour with the higher contrast (WCAG 2 relative luminance) on the cell of `heatColour(t)`. */
export function heatTextColour(t: number): string {
  const [h, s, l] = /hsl\(([\d.]+), ([\d.]+)%, ([\d.]+)%\)/.exec(heatColour(t))!.slice(1).map(Number);
  const background = luminance(hslToRgb(h, s / 100, l / 100));
  return contrast(background, luminance(hexToRgb(LIGHT_TEXT))) >= contrast(background, luminance(hexToRgb(DARK_TEXT))) ? LIGHT_TEXT : DARK_TEXT;
}

/** WCAG 2 contrast ratio of two relative luminances. */
export function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** WCAG 2 relative luminance of sRGB channels in [0, 1]. */
export function luminance([r, g, b]: readonly number[]): number {
  const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** CSS Color 4's hsl → sRGB, channels in [0, 1]. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [channel(0), channel(8), channel(4)];
}

function hexToRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Where a key moves the focus in a heatmap (the ARIA grid pattern's keys): to the nearest cell that
 * exists in that direction (a model may lack a module in some layers), or null to stay. `present`
 * is rows × columns.
 */
export function heatmapMove(present: readonly (readonly boolean[])[], [row, col]: readonly [number, number], key: string, ctrl = false): [number, number] | null {
  const rows = present.length;
  const cols = present[0]?.length ?? 0;
  const scan = (r: number, c: number, dr: number, dc: number): [number, number] | null => {
    for (let i = r, j = c; i >= 0 && i < rows && j >= 0 && j < cols; i += dr, j += dc) if (present[i][j]) return [i, j];
    return null;
  };
  const first = (): [number, number] | null => {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (present[i][j]) return [i, j];
    return null;
  };
  const last = (): [number, number] | null => {
    for (let i = rows - 1; i >= 0; i--) for (let j = cols - 1; j >= 0; j--) if (present[i][j]) return [i, j];
    return null;
  };
  switch (key) {
    case 'ArrowRight':
      return scan(row, col + 1, 0, 1);
    case 'ArrowLeft':
      return scan(row, col - 1, 0, -1);
    case 'ArrowDown':
      return scan(row + 1, col, 1, 0);
    case 'ArrowUp':
      return scan(row - 1, col, -1, 0);
    case 'Home':
      return ctrl ? first() : scan(row, 0, 0, 1);
    case 'End':
      return ctrl ? last() : scan(row, cols - 1, 0, -1);
    default:
      return null;
  }
}
