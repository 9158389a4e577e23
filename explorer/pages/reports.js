// Reports: trends over a chosen range — coverage by team, failing quality
// gates, outdated dependencies, deploys per day per datacenter — each as a
// chart and as a table that exports to CSV.

import { gql } from "../api.js";
import { h, fill, load, empty, number } from "../dom.js";
import { addDays, daysBetween, parseDay, seconds } from "../dates.js";
import { href, go } from "../router.js";
import { timeChart, PALETTE } from "../charts.js";
import { dataTable } from "../table.js";

const TO_TEAM = `[{ kind: "measures", direction: OUT }, { kind: "owns", direction: IN }]`;

const REPORTS = {
  coverage: { title: "Coverage by team", days: 90, build: coverage },
  "quality-gates": { title: "Failing quality gates", days: 90, build: qualityGates },
  outdated: { title: "Outdated dependencies", days: 56, build: outdated },
  deploys: { title: "Deploys per day per datacenter", days: 30, build: deploys, daily: true },
};

export async function render(view, { day, params }) {
  const name = REPORTS[params.get("report")] ? params.get("report") : "coverage";
  const report = REPORTS[name];
  const to = parseDay(params.get("to")) ? params.get("to") : day;
  const from = parseDay(params.get("from")) ? params.get("from") : addDays(to, -report.days);
  const bucket = report.daily ? "DAY" : ["DAY", "WEEK", "MONTH"].includes(params.get("bucket")) ? params.get("bucket") : "WEEK";
  const body = h("div", { class: "report-body" });
  fill(
    view,
    h("h1", {}, "Reports"),
    h("nav", { class: "tabs", "aria-label": "Reports" }, Object.entries(REPORTS).map(([id, r]) => h("a", { href: href("/reports", { report: id }), "aria-current": id === name ? "page" : null }, r.title))),
    rangeForm(name, from, to, bucket, report.daily),
    h("section", { class: "card", "aria-labelledby": "report-title" }, h("h2", { id: "report-title" }, `${report.title}, ${from} to ${to}`), body),
  );
  if (from > to) {
    fill(body, empty(`'From' (${from}) is after 'to' (${to}).`));
    return;
  }
  await load(body, report.title.toLowerCase(), () => report.build({ from, to, bucket, days: daysBetween(from, to) }));
}

function rangeForm(name, from, to, bucket, daily) {
  const fromInput = h("input", { type: "date", id: "report-from", value: from, required: true });
  const toInput = h("input", { type: "date", id: "report-to", value: to, required: true });
  const bucketSelect = h("select", { id: "report-bucket", disabled: daily }, ["DAY", "WEEK", "MONTH"].map((b) => h("option", { value: b, selected: b === bucket }, b.toLowerCase())));
  const submit = (event) => {
    event.preventDefault();
    go(href("/reports", { report: name, from: fromInput.value, to: toInput.value, bucket: daily ? null : bucketSelect.value }));
  };
  return h(
    "form",
    { class: "controls", onsubmit: submit, "aria-label": "Report range" },
    h("label", { for: "report-from" }, "From", fromInput),
    h("label", { for: "report-to" }, "To", toInput),
    h("label", { for: "report-bucket" }, "Per", bucketSelect),
    h("button", { type: "submit" }, "Show"),
  );
}

const teamName = (group) => (group ? group.replace(/^team:/, "") : "no team");

/** Bucket days on the x axis and one series per label, from long rows. */
function pivot(rows, labelOf, valueOf) {
  const buckets = [...new Set(rows.map((r) => r.bucket))].sort();
  const labels = [...new Set(rows.map(labelOf))];
  const series = labels.map((label) => {
    const values = buckets.map((b) => {
      const row = rows.find((r) => r.bucket === b && labelOf(r) === label);
      return row ? valueOf(row) : null;
    });
    return { label, values };
  });
  return { x: buckets.map(seconds), series };
}

async function coverage({ from, to, bucket }) {
  const data = await gql(
    `query Coverage($from: Date!, $to: Date!, $bucket: Bucket!) {
      teams: trend(kind: "sonar_project", attribute: "coverage", groupBy: ${TO_TEAM}, from: $from, to: $to, bucket: $bucket) { bucket measuredOn group value count }
      organisation: trend(kind: "sonar_project", attribute: "coverage", from: $from, to: $to, bucket: $bucket) { bucket value count }
    }`,
    { from, to, bucket },
  );
  if (!data.organisation.length) return empty("No SonarQube measures in this range.");
  const last = data.teams.at(-1)?.bucket;
  const lowest = data.teams.filter((p) => p.bucket === last && p.group && p.value != null).sort((a, b) => a.value - b.value).slice(0, 5).map((p) => p.group);
  const chart = pivot(
    [...data.organisation.map((p) => ({ ...p, group: "organisation" })), ...data.teams.filter((p) => lowest.includes(p.group))],
    (r) => (r.group === "organisation" ? "organisation" : teamName(r.group)),
    (r) => r.value,
  );
  chart.series[0].dash = [6, 4];
  chart.series[0].color = "#444";
  return h(
    "div",
    {},
    timeChart({ title: "Average coverage (%): the organisation and the five lowest teams", ...chart, height: 300 }),
    dataTable(
      [
        { label: "Bucket", value: (p) => p.bucket },
        { label: "Measured on", value: (p) => p.measuredOn },
        { label: "Team", value: (p) => teamName(p.group) },
        { label: "Coverage (%)", value: (p) => p.value, numeric: true },
        { label: "Projects", value: (p) => p.count, numeric: true },
      ],
      data.teams,
      { caption: "Average coverage of each team's SonarQube projects", csvName: `coverage-by-team-${from}-${to}.csv` },
    ),
  );
}

async function qualityGates({ from, to, bucket }) {
  const data = await gql(
    `query Gates($from: Date!, $to: Date!, $bucket: Bucket!) {
      total: trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, equals: "ERROR", from: $from, to: $to, bucket: $bucket) { bucket value }
      projects: trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, from: $from, to: $to, bucket: $bucket) { bucket value }
      teams: trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, equals: "ERROR", groupBy: ${TO_TEAM}, from: $from, to: $to, bucket: $bucket) { bucket measuredOn group value }
    }`,
    { from, to, bucket },
  );
  if (!data.total.length) return empty("No quality gates in this range.");
  const x = data.total.map((p) => seconds(p.bucket));
  const share = data.total.map((p, i) => (data.projects[i]?.value ? (100 * p.value) / data.projects[i].value : null));
  return h(
    "div",
    { class: "grid" },
    timeChart({ title: "Failing quality gates", x, series: [{ label: "failing", values: data.total.map((p) => p.value), color: "#b3261e" }] }),
    timeChart({ title: "Share of projects failing (%)", x, series: [{ label: "failing (%)", values: share, color: "#edae49" }] }),
    h(
      "div",
      { class: "wide" },
      dataTable(
        [
          { label: "Bucket", value: (p) => p.bucket },
          { label: "Measured on", value: (p) => p.measuredOn },
          { label: "Team", value: (p) => teamName(p.group) },
          { label: "Failing gates", value: (p) => p.value, numeric: true },
        ],
        data.teams.filter((p) => p.value > 0),
        { caption: "Teams with failing quality gates", csvName: `failing-quality-gates-${from}-${to}.csv` },
      ),
    ),
  );
}

async function outdated({ from, to, bucket }) {
  const data = await gql(
    `query Outdated($from: Date!, $to: Date!, $bucket: Bucket!) {
      total: outdatedDependencies(from: $from, to: $to, bucket: $bucket) { bucket uses outdated major minor patch }
      teams: outdatedDependencies(from: $to, to: $to, bucket: DAY, groupBy: [{ kind: "owns", direction: IN }]) { bucket measuredOn group uses outdated major minor patch }
      coverage: outdatedCoverage(on: $to) { uses resolved managed packages packagesWithLatest comparable }
    }`,
    { from, to, bucket },
  );
  if (!data.total.length) return empty(whyNoOutdated(data.coverage, to));
  const x = data.total.map((p) => seconds(p.bucket));
  return h(
    "div",
    { class: "grid" },
    timeChart({
      title: "Uses of a package behind its latest version",
      x,
      series: [
        { label: "major behind", values: data.total.map((p) => p.major), color: "#b3261e" },
        { label: "minor behind", values: data.total.map((p) => p.minor), color: "#edae49" },
        { label: "patch behind", values: data.total.map((p) => p.patch), color: "#1f5fa8" },
      ],
    }),
    timeChart({ title: "Share of uses that are outdated (%)", x, series: [{ label: "outdated (%)", values: data.total.map((p) => (p.uses ? (100 * p.outdated) / p.uses : null)), color: "#7b4fa0" }] }),
    h(
      "div",
      { class: "wide" },
      dataTable(
        [
          { label: "Measured on", value: (p) => p.measuredOn },
          { label: "Team", value: (p) => teamName(p.group) },
          { label: "Uses", value: (p) => p.uses, numeric: true },
          { label: "Outdated", value: (p) => p.outdated, numeric: true },
          { label: "Major", value: (p) => p.major, numeric: true },
          { label: "Minor", value: (p) => p.minor, numeric: true },
          { label: "Patch", value: (p) => p.patch, numeric: true },
        ],
        data.teams,
        { caption: `Package uses on ${to}, by the team that owns the repository or service`, csvName: `outdated-dependencies-by-team-${to}.csv` },
      ),
    ),
  );
}

/**
 * Why the outdated report has nothing to count: no uses at all, or uses
 * whose packages' latest versions are unknown, or whose own versions are.
 */
export function whyNoOutdated(c, to) {
  if (!c.uses) return `No package uses on ${to}.`;
  const managed = c.managed ? ` ${number(c.managed)} more take their version from a Maven parent or a BOM, which SPoT does not fetch.` : "";
  if (!c.packagesWithLatest) {
    return (
      `${number(c.uses)} package uses on ${to}, none of whose ${number(c.packages)} packages has a known latest version: ` +
      "the GitHub collector looks latest versions up only with check_latest on and its registries reachable (see its run warnings), and a backfill never does." +
      managed
    );
  }
  return (
    `${number(c.uses)} package uses on ${to}, ${number(c.resolved)} with a resolved version; ${number(c.packagesWithLatest)} of ${number(c.packages)} packages have a known latest version, ` +
    `and no resolved use is of one of them, so none can be judged.` +
    managed
  );
}

async function deploys({ from, to }) {
  const data = await gql(`query Deploys($from: Date!, $to: Date!) { deploysPerDay(from: $from, to: $to) { day cluster datacenter deploys rollbacks } }`, { from, to });
  const rows = data.deploysPerDay;
  if (!rows.length) return empty(`No deploys between ${from} and ${to}.`);
  const label = (r) => r.datacenter || r.cluster;
  const chart = pivot(
    rows.map((r) => ({ ...r, bucket: r.day })),
    label,
    (r) => r.deploys,
  );
  // A day without deploys in a datacenter is a zero, not a gap.
  chart.series.forEach((s, i) => ((s.values = s.values.map((v) => v ?? 0)), (s.color = PALETTE[i % PALETTE.length])));
  const rollbacks = pivot(rows.map((r) => ({ ...r, bucket: r.day })), () => "rollbacks", (r) => r.rollbacks);
  const totalRollbacks = rows.reduce((sum, r) => sum + r.rollbacks, 0);
  return h(
    "div",
    { class: "grid" },
    h("div", { class: "wide" }, timeChart({ title: "Deploys per day, per datacenter", ...chart, height: 280 })),
    timeChart({ title: `Rollbacks per day (${totalRollbacks} in all)`, x: rollbacks.x, series: [{ label: "rollbacks", values: rollbacksPerDay(rows, rollbacks.x), color: "#b3261e" }] }),
    h(
      "div",
      { class: "wide" },
      dataTable(
        [
          { label: "Day", value: (r) => r.day },
          { label: "Datacenter", value: (r) => r.datacenter },
          { label: "Cluster", value: (r) => r.cluster },
          { label: "Deploys", value: (r) => r.deploys, numeric: true },
          { label: "Rollbacks", value: (r) => r.rollbacks, numeric: true },
        ],
        rows,
        { caption: "Deploys per day and cluster", csvName: `deploys-per-day-${from}-${to}.csv` },
      ),
    ),
  );
}

function rollbacksPerDay(rows, x) {
  return x.map((t) => rows.filter((r) => seconds(r.day) === t).reduce((sum, r) => sum + r.rollbacks, 0));
}
