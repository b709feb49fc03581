// What the chart components take: series already mapped onto the chosen x-axis, and a zoom range.

import type { XY } from './smoothing';

/** A point as drawn: x on the chosen axis, and the step it was logged at (the tooltip names it). */
export interface ChartPoint extends XY {
  step: number;
}

export interface ChartSeries {
  label: string;
  color: string; // #rrggbb (the raw line under a smoothed one appends an alpha)
  points: ChartPoint[];
  /** A dense, noisy training series (loss, gradient norm) that the smoothing slider may smooth. */
  smoothable?: boolean;
}

export interface XRange {
  min: number;
  max: number;
}

/** Series colours: distinct in both themes, none of them loud. */
export const PALETTE = [
  '#7c8cff',
  '#4cc38a',
  '#e5a83b',
  '#f06a6a',
  '#61c3d9',
  '#c27cf0',
  '#d9c661',
  '#8aa0b8',
];

/** One chart of a panel: its title, y-axis and series. */
export interface ChartSpec {
  title: string;
  yLabel: string;
  /** How the y ticks read (bytes, scientific); plain numbers when absent. */
  yFormat?: (value: number) => string;
  series: ChartSeries[];
}
