// Actions between snapshots (the Kubernetes watch's): a timeline to the
// minute (drag across the chart to zoom in), one lane per kind of action,
// and the table beneath. Used by the service page and the cluster page.

import { gql } from "./api.js";
import { h, load, empty, badge, text, inlineLinks } from "./dom.js";
import { formatTime } from "./dates.js";
import { entityHref } from "./router.js";
import { timeChart } from "./charts.js";
import { dataTable } from "./table.js";

const ACTIONS = `query Actions($service: String, $cluster: String, $from: DateTime, $to: DateTime) {
  actions(service: $service, cluster: $cluster, from: $from, to: $to, limit: 2000) {
    key kind cluster namespace workload service at lastAt count actor details
    links { kind title url }
  }
}`;

/** The windows offered, in hours. */
export const WINDOWS = [["1", "last hour"], ["6", "6 hours"], ["24", "24 hours"], ["168", "7 days"]];

/** The lanes of the timeline, each a group of kinds with its colour. */
const LANES = [
  ["rollouts", "#1f5fa8", ["ROLLOUT_STARTED", "CONFIG_CHANGED", "RESTART", "ROLLOUT_PROGRESSED", "ROLLOUT_COMPLETED"]],
  ["trouble", "#b3261e", ["ROLLOUT_STALLED", "ROLLBACK", "CRASH_LOOP", "OOM_KILLED", "FAILED_SCHEDULING", "IMAGE_PULL_FAILED"]],
  ["scale", "#2e933c", ["SCALE"]],
  ["lifecycle", "#7b4fa0", ["CREATED", "DELETED", "PAUSED", "RESUMED"]],
];

const TROUBLE = new Set(LANES[1][2]);

/**
 * A card body showing the actions of a service or a cluster over a window
 * chosen in place; `day` is the day the explorer shows: the window ends at
 * the end of that day, or now if that is earlier.
 */
export function actionsPanel({ service, cluster, day, hours = "24" }) {
  const slot = h("div");
  const select = h(
    "select",
    { id: `actions-window-${service ? "service" : "cluster"}`, onchange: (e) => show(e.target.value) },
    WINDOWS.map(([value, label]) => h("option", { value, selected: value === hours }, label)),
  );
  const show = (chosen) => {
    const end = Math.min(Date.parse(`${day}T23:59:59.999Z`) + 1, Date.now());
    const from = new Date(end - Number(chosen) * 3600 * 1000).toISOString();
    const to = new Date(end).toISOString();
    load(slot, "the actions", async () => {
      const data = await gql(ACTIONS, { service, cluster, from, to });
      return actionsTimeline(data.actions, from, to);
    });
  };
  show(hours);
  return h("div", { "data-testid": "actions" }, h("p", {}, h("label", { for: select.id }, "Window: "), select), slot);
}

/** What the details of an action say, in a few words. */
export function describe(action) {
  const d = action.details || {};
  switch (action.kind) {
    case "SCALE":
      return `${d.from} → ${d.to} replicas (${d.by})`;
    case "ROLLOUT_STARTED":
    case "ROLLBACK":
    case "CONFIG_CHANGED":
    case "RESTART":
      return [d.previous_version && d.version ? `${d.previous_version} → ${d.version}` : d.version, d.revision ? `revision ${d.revision}` : null].filter(Boolean).join(", ");
    case "ROLLOUT_PROGRESSED":
    case "ROLLOUT_COMPLETED":
    case "ROLLOUT_STALLED":
      return `${d.updated}/${d.desired} updated (${d.rollout})`;
    default:
      return d.message ? `${d.reason}: ${d.message}` : text(d);
  }
}

function kindLabel(kind) {
  return kind.toLowerCase().replaceAll("_", " ");
}

/** The timeline and the table of `actions` (newest first, as the API gives them). */
export function actionsTimeline(actions, from, to) {
  if (!actions.length) return empty(`No actions between ${formatTime(from)} and ${formatTime(to)}.`);
  const times = [...new Set(actions.map((a) => Date.parse(a.at) / 1000))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = LANES.map(([label, color, kinds], lane) => {
    const values = new Array(times.length).fill(null);
    for (const a of actions) if (kinds.includes(a.kind)) values[index.get(Date.parse(a.at) / 1000)] = lane;
    return { label, values, points: true, color };
  });
  const textAt = (i) => actions.filter((a) => Date.parse(a.at) / 1000 === times[i]).map((a) => `${kindLabel(a.kind)} ${a.workload.split("/").pop()}`).join(", ");
  series.forEach((s) => (s.valueText = textAt));
  const trouble = actions.filter((a) => TROUBLE.has(a.kind)).length;
  return h(
    "div",
    {},
    h("p", {}, `${actions.length} actions, `, badge(`${trouble} of them trouble`, trouble ? "bad" : "ok"), h("span", { class: "muted" }, " (drag across the chart to zoom in)")),
    timeChart({
      title: "Actions (blue: rollouts, red: trouble, green: scale, purple: created, deleted, paused)",
      x: times,
      series,
      lanes: LANES.map(([label]) => label),
      yRange: [-0.5, LANES.length - 0.5],
      yFormat: (v) => LANES[v]?.[0] ?? "",
      height: 80 + LANES.length * 36,
    }),
    dataTable(
      [
        { label: "When", value: (a) => a.at, render: (a) => formatTime(a.at) + (a.count > 1 ? ` (×${a.count} until ${formatTime(a.lastAt)})` : "") },
        { label: "Kind", value: (a) => a.kind, render: (a) => badge(kindLabel(a.kind), TROUBLE.has(a.kind) ? "bad" : "") },
        { label: "Workload", value: (a) => a.workload, render: (a) => h("a", { href: entityHref(a.workload) }, a.workload.replace(/^workload:/, "")) },
        { label: "What", value: (a) => describe(a) },
        { label: "Who", value: (a) => a.actor },
        { label: "Links", value: (a) => (a.links || []).map((l) => l.url).join(" "), render: (a) => inlineLinks(a.links, "action-links") },
      ],
      actions,
      { caption: "Actions, newest first", csvName: "actions.csv", limit: 500 },
    ),
  );
}
