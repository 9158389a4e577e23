// Time-series charts on uPlot (vendor/uPlot.iife.min.js, a global). A chart
// is created once its container has a width, and follows its resizes.

import { h } from "./dom.js";

export const PALETTE = ["#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#7b4fa0", "#00798c", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];

/**
 * A line chart over days.
 * x: seconds since the epoch; series: [{ label, values, color?, step?, dash?, markers? }]
 * (`markers`: a dot on each value too, so a lone value between gaps shows).
 */
export function timeChart({ title, x, series, height = 220, yFormat, yRange, lanes }) {
  const wrapper = h("figure", { class: "chart-figure", style: "margin:0" });
  const target = h("div", { class: "chart", role: "img", "aria-label": `${title}: chart of ${series.map((s) => s.label).join(", ")}` });
  wrapper.append(h("figcaption", { class: "chart-title" }, title), target);
  if (!x.length) {
    target.replaceWith(h("p", { class: "empty" }, "No values in this range."));
    return wrapper;
  }
  // One day alone gives uPlot no span: its own range would run for years
  // with the value lost at an edge. Three days either side centre it.
  const lone = new Set(x).size === 1;
  const options = {
    height,
    width: 600,
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: lone ? { time: true, range: () => loneDayRange(x[0]) } : { time: true }, y: yRange ? { range: yRange } : { auto: true } },
    axes: [{}, { size: lanes ? 90 : 60, values: yFormat ? (u, splits) => splits.map(yFormat) : undefined, splits: lanes ? () => lanes.map((_, i) => i) : undefined }],
    series: [
      { label: "day" },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color || PALETTE[i % PALETTE.length],
        width: 2,
        dash: s.dash,
        spanGaps: !s.points,
        paths: s.points ? () => null : s.step ? uPlot.paths.stepped({ align: 1 }) : undefined,
        points: s.points || lone ? { show: true, size: s.pointSize || 9, fill: s.color || PALETTE[i % PALETTE.length] } : { show: !!s.markers, size: 6 },
        value: s.valueText ? (u, v, si, index) => (index == null ? "" : s.valueText(index)) : yFormat ? (u, v) => (v == null ? "—" : yFormat(v)) : undefined,
      })),
    ],
  };
  const data = [x, ...series.map((s) => s.values)];
  let chart = null;
  let pending = 0;
  // Drawn in the next frame, not inside the observer's callback: a chart
  // that changes the layout there makes the browser report a
  // "ResizeObserver loop" error for the charts beside it.
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      const width = Math.floor(target.clientWidth);
      if (width < 50) return;
      if (!chart) chart = new uPlot({ ...options, width }, data, target);
      else chart.setSize({ width, height });
      // The days shown, for whoever checks what the chart spans.
      target.dataset.xMin = chart.scales.x.min;
      target.dataset.xMax = chart.scales.x.max;
    });
  });
  observer.observe(target);
  return wrapper;
}

const DAY_SECONDS = 86400;

/** The x range of a chart of one day: that day, three days either side. */
export function loneDayRange(seconds) {
  return [seconds - 3 * DAY_SECONDS, seconds + 3 * DAY_SECONDS];
}

/** Step values from change points: { from, to, value } over [start, end], one point per change. */
export function stepSeries(points, start, end, toNumber = Number) {
  const sorted = [...points].sort((a, b) => a.from.localeCompare(b.from));
  const days = [];
  const values = [];
  for (const point of sorted) {
    const from = point.from < start ? start : point.from;
    if (from > end) continue;
    days.push(from);
    values.push(toNumber(point.value));
  }
  if (days.length && days[days.length - 1] < end) {
    days.push(end);
    values.push(values[values.length - 1]);
  }
  return { days, values };
}

/** Aligns several { days, values } series on one sorted x axis (nulls where a series has no value). */
export function align(seriesList) {
  const days = [...new Set(seriesList.flatMap((s) => s.days))].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  const values = seriesList.map((s) => {
    const row = new Array(days.length).fill(null);
    s.days.forEach((d, i) => (row[index.get(d)] = s.values[i]));
    return row;
  });
  return { days, values };
}
