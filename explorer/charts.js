// Time-series charts on uPlot (vendor/uPlot.iife.min.js, a global). A chart
// is created once its container has a width, and follows its resizes.

import { h } from "./dom.js";

export const PALETTE = ["#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#7b4fa0", "#00798c", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];

/**
 * A line chart over days.
 * x: seconds since the epoch; series: [{ label, values, color?, step?, dash?, markers? }]
 * (`markers`: a dot on each value too, so a lone value between gaps shows).
 * `partial`: { from, note }: the buckets from index `from` on cover fewer
 * days than the others (a week cut by the range): shaded and said, so a
 * short last week does not read as a fall.
 * The y axis starts at zero (or below, for negative values): a chart of
 * 79.2 to 79.4 would magnify noise. `yRange` overrides it.
 */
export function timeChart({ title, x, series, height = 220, yFormat, yRange, lanes, partial }) {
  const wrapper = h("figure", { class: "chart-figure", style: "margin:0" });
  const target = h("div", { class: "chart", role: "img", "aria-label": `${title}: chart of ${series.map((s) => s.label).join(", ")}` });
  const shaded = partial && partial.from < x.length ? partial : null;
  wrapper.append(h("figcaption", { class: "chart-title" }, title, shaded ? h("span", { class: "partial-note muted" }, ` (shaded: ${shaded.note})`) : null), target);
  if (shaded) wrapper.dataset.partial = String(shaded.from);
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
    scales: { x: lone ? { time: true, range: () => loneDayRange(x[0]) } : { time: true }, y: { range: yRange ?? ((u, min, max) => fromZero(min, max, /%/.test(title))) } },
    axes: [{}, { size: axisSize, values: yFormat ? (u, splits) => splits.map(yFormat) : undefined, splits: lanes ? () => lanes.map((_, i) => i) : undefined }],
    hooks: { ready: [showLatest], setLegend: [keepLatest], drawClear: shaded ? [shade(shaded.from)] : [] },
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
      if (!chart) target.uplot = chart = new uPlot({ ...options, width }, data, target);
      else chart.setSize({ width, height });
      // The days shown, for whoever checks what the chart spans.
      target.dataset.xMin = chart.scales.x.min;
      target.dataset.xMax = chart.scales.x.max;
    });
  });
  observer.observe(target);
  return wrapper;
}

/**
 * The y range from zero (or the lowest value, when negative) to a little
 * above the highest; a percentage stops at 100 when its values do.
 */
export function fromZero(min, max, percent) {
  if (min == null || max == null) return [0, 1];
  const low = Math.min(0, min);
  const high = max > low ? max + (max - low) * 0.08 : low + 1;
  return [low, percent && max <= 100 ? Math.min(100, high) : high];
}

/**
 * The y axis as wide as its longest label ("122,000" must not read
 * ".22,000"), measured in the axis's own font.
 */
function axisSize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  if (cycle > 1) return axis._size;
  const longest = (values ?? []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), "");
  u.ctx.font = axis.font[0];
  return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / devicePixelRatio + 8);
}

/** The index of the last x with a value in some series: what the legend shows when no cursor is over the chart. */
function latestIndex(u) {
  for (let i = u.data[0].length - 1; i >= 0; i--) if (u.data.slice(1).some((values) => values[i] != null)) return i;
  return u.data[0].length - 1;
}

function showLatest(u) {
  u.setLegend({ idx: latestIndex(u) }, false);
}

/** The cursor left the chart: the legend shows the latest values again, never "day: --". */
function keepLatest(u) {
  if (u.legend.idx == null) showLatest(u);
}

/** Shades the buckets from index `from` on (partial ones), from halfway after the last full one, under the series. */
function shade(from) {
  return (u) => {
    const at = (i) => u.valToPos(u.data[0][i], "x", true);
    const left = Math.max(u.bbox.left, from > 0 ? (at(from - 1) + at(from)) / 2 : u.bbox.left);
    const right = u.bbox.left + u.bbox.width;
    u.ctx.save();
    u.ctx.fillStyle = "rgba(120, 130, 145, 0.16)";
    u.ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
    u.ctx.restore();
  };
}

/**
 * The trailing partial bucket of a trend whose buckets give their `start`
 * and `end` days (inclusive): { from, note } when the last is shorter than
 * a whole `bucket` (WEEK, MONTH), else null.
 */
export function partialTail(buckets, bucket) {
  const length = (b) => Math.round((Date.parse(`${b.end}T00:00:00Z`) - Date.parse(`${b.start}T00:00:00Z`)) / 86_400_000) + 1;
  const nominal = (b) => (bucket === "WEEK" ? 7 : bucket === "MONTH" ? daysInMonth(b.start) : 1);
  const last = buckets.at(-1);
  if (!last || buckets.length < 2 || length(last) >= nominal(last)) return null;
  return { from: buckets.length - 1, note: `the last ${bucket.toLowerCase()} has ${length(last)} of its ${nominal(last)} days` };
}

function daysInMonth(day) {
  const [year, month] = day.split("-").map(Number);
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
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
