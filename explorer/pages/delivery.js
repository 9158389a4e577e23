// Delivery: the four DORA metrics (deployment frequency, lead time for
// changes, change failure rate, time to restore) of a team or the
// organisation over a chosen range, each with its band and the counts
// behind it; their trend per bucket (charts, and a table that exports to
// CSV); the services that fail most; and the deploys that failed.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number, inlineLinks, webLink, webUrl } from "../dom.js";
import { addDays, formatTime, parseDay, seconds } from "../dates.js";
import { href, entityHref, go } from "../router.js";
import { timeChart, partialTail } from "../charts.js";
import { dataTable } from "../table.js";
import { aroundHref } from "./nearby.js";

/** Days the default range covers: the API's default window. */
const DAYS = 90;
const BUCKETS = ["DAY", "WEEK", "MONTH"];
/** Failed deploys listed per outcome (newest first); the counts count them all. */
const LISTED = 100;

/** The fields of DoraFigures every view of the metrics reads. */
export const DORA_FIGURES = `deploys changes failedChanges rollbacks deployingServices days deploysPerDay changeFailureRate
  leadTimeSeconds leadTimeSamples timeToRestoreSeconds restored unrestored
  bands { deploymentFrequency leadTime changeFailureRate timeToRestore }`;

const DORA = `query Delivery($team: String, $from: Date!, $to: Date!, $bucket: Bucket!) {
  dora(team: $team, from: $from, to: $to, bucket: $bucket) {
    subject environment fixForwardMinutes
    overall { ${DORA_FIGURES} }
    buckets { start end figures { ${DORA_FIGURES} } }
    worstServices { service figures { ${DORA_FIGURES} } }
  }
}`;

const DEPLOY = `totalCount edges { node {
  service cluster version at finishedAt status rollback reason fixedForwardBy timeToRestoreSeconds link links { kind title url }
} }`;

export async function render(view, { day, latest, params }) {
  const team = teamKey(params.get("team"));
  const to = parseDay(params.get("to")) ? params.get("to") : day;
  const from = parseDay(params.get("from")) ? params.get("from") : addDays(to, -(DAYS - 1));
  const bucket = BUCKETS.includes(params.get("bucket")) ? params.get("bucket") : "WEEK";
  const range = { team, from, to, bucket };
  const figures = h("div");
  const trends = h("div");
  const worst = h("div");
  const failed = h("div");
  const body = h(
    "div",
    { class: "grid" },
    h("div", { class: "wide" }, section("The four DORA metrics", "delivery-figures", figures)),
    h("div", { class: "wide" }, section(`Per ${bucket.toLowerCase()}`, "delivery-trends", trends)),
    h("div", { class: "wide" }, section("Services that fail most", "delivery-worst", worst)),
    h("div", { class: "wide" }, section("Failed deploys", "delivery-failed", failed)),
  );
  const teamSelect = h("select", { id: "delivery-team" }, teamOption(null, null, !team), team ? teamOption(team, team, true) : null);
  fill(
    view,
    h("h1", {}, "Delivery", team ? ` of ${teamName(team)}` : ""),
    h(
      "p",
      { class: "subtitle" },
      team ? h("a", { href: entityHref(team) }, team) : "The organisation",
      `: its deploys from ${from} to ${to}${to === latest ? " (the latest day)" : ""}.`,
    ),
    rangeForm(range, teamSelect),
    body,
  );
  if (from > to) {
    fill(body, empty(`'From' (${from}) is after 'to' (${to}).`));
    return;
  }
  // One query answers the figures, the trends and the worst services; each
  // part still shows its own loading line and its own error.
  const dora = gql(DORA, range).then((data) => data.dora);
  await Promise.all([
    teamChoices(teamSelect, team, day),
    load(figures, "the DORA metrics", async () => overallOf(await dora)),
    load(trends, "the trends", async () => trendsOf(await dora, range)),
    load(worst, "the services that fail most", async () => worstOf(await dora, range)),
    load(failed, "the failed deploys", () => failedDeploys(range)),
  ]);
}

/** `team:<name>` from the address, which may give the name alone. */
export function teamKey(value) {
  if (!value) return null;
  return value.startsWith("team:") ? value : `team:${value}`;
}

export const teamName = (key) => key.replace(/^team:/, "");

/** An option of the team choice; no key: the organisation. */
export function teamOption(key, name, selected) {
  return h("option", { value: key || "", selected }, key ? teamName(name || key) : "the organisation");
}

function rangeForm({ team, from, to, bucket }, teamSelect) {
  const fromInput = h("input", { type: "date", id: "delivery-from", value: from, required: true });
  const toInput = h("input", { type: "date", id: "delivery-to", value: to, required: true });
  const bucketSelect = h("select", { id: "delivery-bucket" }, BUCKETS.map((b) => h("option", { value: b, selected: b === bucket }, b.toLowerCase())));
  const submit = (event) => {
    event.preventDefault();
    go(href("/delivery", { team: teamSelect.value || null, from: fromInput.value, to: toInput.value, bucket: bucketSelect.value }));
  };
  return h(
    "form",
    { class: "controls", onsubmit: submit, "aria-label": "Delivery range" },
    h("label", { for: "delivery-team" }, "Of", teamSelect),
    h("label", { for: "delivery-from" }, "From", fromInput),
    h("label", { for: "delivery-to" }, "To", toInput),
    h("label", { for: "delivery-bucket" }, "Per", bucketSelect),
    h("button", { type: "submit" }, "Show"),
  );
}

/**
 * Fills the team choice with the teams alive on the day (also the
 * scorecards page's). Without them the page still works: the choice keeps
 * the organisation and the team shown.
 */
export async function teamChoices(select, team, day) {
  try {
    const data = await gql(`query DeliveryTeams($at: Date) { search(text: "team:", kinds: ["team"], at: $at, first: 500) { key name } }`, { at: day });
    const teams = [...data.search].sort((a, b) => a.name.localeCompare(b.name));
    const shown = teams.find((t) => t.key === team);
    if (shown) select.options[1].textContent = shown.name;
    select.append(...teams.filter((t) => t !== shown).map((t) => teamOption(t.key, t.name, false)));
  } catch (error) {
    select.title = `The teams could not be listed: ${error.message}`;
  }
}

// --- The four metrics --------------------------------------------------------

const BAND_TONES = { ELITE: "ok", HIGH: "ok", MEDIUM: "warn", LOW: "bad" };

/** A metric's DORA band as a badge; "no band" when there is nothing to judge. */
export function bandBadge(band) {
  return band ? badge(band.toLowerCase(), BAND_TONES[band]) : h("span", { class: "muted band-none" }, "no band");
}

/** Seconds as minutes, hours or days: what a lead time or a restore reads best in. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${number(seconds)} s`;
  if (seconds < 3600) return `${number(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${number(seconds / 3600, 1)} h`;
  return `${number(seconds / 86_400, 1)} days`;
}

const plural = (count, noun) => `${number(count)} ${noun}${count === 1 ? "" : "s"}`;

/** A rate in 0..1 as a percentage. */
export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${number(100 * rate, 1)} %`;
}

/** Deploys a day per deploying service: what the deployment frequency band judges. */
export function perService(f) {
  return number(f.deploysPerDay / f.deployingServices, 2);
}

const METRICS = [
  {
    id: "deploymentFrequency",
    title: "Deployment frequency",
    value: (f) => `${number(f.deploysPerDay, 2)} a day`,
    // The band judges each deploying service's pace (docs/dora.md): 396 a
    // day over 550 services is 0.72 a day each, "high", not "elite".
    note: (f) =>
      f.deployingServices > 1
        ? `${plural(f.deploys, "deploy")} in ${plural(f.days, "day")}, by ${plural(f.deployingServices, "service")}: ${perService(f)} a day per deploying service, which the band judges`
        : `${plural(f.deploys, "deploy")} in ${plural(f.days, "day")}, by ${plural(f.deployingServices, "service")}`,
  },
  {
    id: "leadTime",
    title: "Lead time for changes",
    value: (f) => duration(f.leadTimeSeconds),
    note: (f) => `median of the ${plural(f.leadTimeSamples, "deploy")} whose first commit is known`,
  },
  {
    id: "changeFailureRate",
    title: "Change failure rate",
    value: (f) => percent(f.changeFailureRate),
    note: (f) => `${number(f.failedChanges)} failed of ${number(f.changes)} changes; ${plural(f.rollbacks, "rollback")}`,
  },
  {
    id: "timeToRestore",
    title: "Time to restore",
    value: (f) => duration(f.timeToRestoreSeconds),
    note: (f) => `median; ${number(f.restored)} restored, ${number(f.unrestored)} unrestored`,
  },
];

/** The four metrics with their bands and the counts behind each (also the service page's). */
export function doraFigures(figures, label) {
  return h(
    "dl",
    { class: "figures dora-figures", "aria-label": label },
    METRICS.map((m) =>
      h(
        "div",
        { class: "figure", "data-metric": m.id },
        h("dt", {}, m.title),
        h("dd", {}, m.value(figures), " ", bandBadge(figures.bands[m.id]), h("p", { class: "note" }, m.note(figures))),
      ),
    ),
  );
}

function overallOf(dora) {
  const fixForward = dora.fixForwardMinutes ? `a deploy followed within ${dora.fixForwardMinutes} minutes by the next counts as fixed forward` : "fixing forward is not counted";
  return h(
    "div",
    {},
    doraFigures(dora.overall, `The DORA metrics of ${dora.subject}`),
    h("p", { class: "muted" }, `Deploys to ${dora.environment}; medians are nearest-rank; ${fixForward}.`),
  );
}

// --- Trends ------------------------------------------------------------------

/** Columns of DoraFigures (read from a row by `of`): the CSV has the raw values, the table shows them readably. */
function figureColumns(of) {
  return [
    { label: "Deploys", value: (r) => of(r).deploys, numeric: true },
    { label: "Deploys per day", value: (r) => of(r).deploysPerDay, numeric: true },
    { label: "Changes", value: (r) => of(r).changes, numeric: true },
    { label: "Failed changes", value: (r) => of(r).failedChanges, numeric: true },
    { label: "Change failure rate", value: (r) => of(r).changeFailureRate, render: (r) => percent(of(r).changeFailureRate), numeric: true },
    { label: "Rollbacks", value: (r) => of(r).rollbacks, numeric: true },
    { label: "Median lead time", csvLabel: "Median lead time (s)", value: (r) => of(r).leadTimeSeconds, render: (r) => duration(of(r).leadTimeSeconds), numeric: true },
    { label: "Lead time samples", value: (r) => of(r).leadTimeSamples, numeric: true },
    { label: "Median time to restore", csvLabel: "Median time to restore (s)", value: (r) => of(r).timeToRestoreSeconds, render: (r) => duration(of(r).timeToRestoreSeconds), numeric: true },
    { label: "Restored", value: (r) => of(r).restored, numeric: true },
    { label: "Unrestored", value: (r) => of(r).unrestored, numeric: true },
    ...METRICS.map((m) => ({ label: `${m.title} band`, value: (r) => of(r).bands[m.id], render: (r) => bandBadge(of(r).bands[m.id]) })),
  ];
}

function trendsOf(dora, { from, to, bucket }) {
  const periods = dora.buckets;
  if (!periods.length) return empty(`No ${bucket.toLowerCase()} between ${from} and ${to}.`);
  const x = periods.map((p) => seconds(p.start));
  const values = (of) => periods.map((p) => of(p.figures));
  const hours = (s) => (s === null || s === undefined ? null : s / 3600);
  const subject = dora.subject.replace(":", "-");
  const partial = partialTail(periods, bucket);
  return h(
    "div",
    { class: "grid" },
    timeChart({ title: "Deploys a day", x, partial, series: [{ label: "deploys a day", values: values((f) => f.deploysPerDay), color: "#1f5fa8" }] }),
    timeChart({ title: "Median lead time for changes (hours)", x, partial, series: [{ label: "lead time (h)", values: values((f) => hours(f.leadTimeSeconds)), markers: true, color: "#7b4fa0" }] }),
    timeChart({ title: "Change failure rate (%)", x, partial, series: [{ label: "failure rate (%)", values: values((f) => (f.changeFailureRate == null ? null : 100 * f.changeFailureRate)), markers: true, color: "#b3261e" }] }),
    timeChart({ title: "Median time to restore (hours)", x, partial, series: [{ label: "time to restore (h)", values: values((f) => hours(f.timeToRestoreSeconds)), markers: true, color: "#edae49" }] }),
    h(
      "div",
      { class: "wide" },
      dataTable([{ label: "Start", value: (p) => p.start }, { label: "End", value: (p) => p.end }, ...figureColumns((p) => p.figures)], periods, {
        caption: `The charts' numbers: the figures of each ${bucket.toLowerCase()} (the first and last cut to the range)`,
        csvName: `delivery-${subject}-${from}-${to}-${bucket.toLowerCase()}.csv`,
      }),
    ),
  );
}

// --- Services that fail most -------------------------------------------------

function worstOf(dora, { from, to }) {
  const services = dora.worstServices;
  if (!services.length) {
    return empty(dora.overall.changes ? "Only one service: its figures are the ones above." : `No service made a change between ${from} and ${to}.`);
  }
  const of = (s) => s.figures;
  return dataTable(
    [
      { label: "Service", value: (s) => s.service, render: (s) => h("a", { href: entityHref(s.service) }, s.service.replace(/^service:/, "")) },
      { label: "Changes", value: (s) => of(s).changes, numeric: true },
      { label: "Failed changes", value: (s) => of(s).failedChanges, numeric: true },
      { label: "Change failure rate", value: (s) => of(s).changeFailureRate, render: (s) => [percent(of(s).changeFailureRate), " ", bandBadge(of(s).bands.changeFailureRate)], numeric: true },
      { label: "Median time to restore", csvLabel: "Median time to restore (s)", value: (s) => of(s).timeToRestoreSeconds, render: (s) => duration(of(s).timeToRestoreSeconds), numeric: true },
      { label: "Unrestored", value: (s) => of(s).unrestored, numeric: true },
    ],
    services,
    { caption: `The ${plural(services.length, "service")} with the highest change failure rate (then the most unrestored, the slowest restore)`, csvName: `delivery-worst-services-${from}-${to}.csv` },
  );
}

// --- Failed deploys ----------------------------------------------------------

/**
 * Failed and rolled-back deploys come by status. Changes fixed forward
 * succeeded (the next deploy fixed them): there is no status to ask for,
 * so they are picked from the newest succeeded deploys.
 */
async function failedDeploys({ team, from, to }) {
  const data = await gql(
    `query FailedDeploys($team: String, $from: Date!, $to: Date!, $first: Int!) {
      deploys(team: $team, failedChanges: true, from: $from, to: $to, first: $first) { ${DEPLOY} }
    }`,
    { team, from, to, first: LISTED },
  );
  const rows = data.deploys.edges.map((e) => e.node);
  const total = data.deploys.totalCount;
  const tally = (kind) => rows.filter((d) => outcome(d).startsWith(kind)).length;
  const counts = h(
    "p",
    {},
    badge(`${number(total)} failed changes`, total ? "bad" : "ok"),
    " ",
    h("span", { class: "muted" }, `listed: ${tally("failed")} failed, ${tally("rolled back")} rolled back, ${tally("fixed forward")} fixed forward`),
    total > LISTED ? h("span", { class: "muted" }, ` (the newest ${LISTED} of ${number(total)})`) : null,
  );
  if (!rows.length) return h("div", {}, counts, empty(`No deploy failed, was rolled back or fixed forward between ${from} and ${to}.`));
  return h(
    "div",
    {},
    counts,
    dataTable(
      [
        { label: "When", value: (d) => formatTime(d.at) },
        { label: "Service", value: (d) => d.service, render: (d) => h("a", { href: entityHref(d.service) }, d.service.replace(/^service:/, "")) },
        { label: "Cluster", value: (d) => d.cluster },
        { label: "Version", value: (d) => d.version },
        { label: "Outcome", value: outcome, render: (d) => badge(outcome(d), d.fixedForwardBy ? "warn" : "bad") },
        { label: "Reason", value: (d) => d.reason },
        { label: "What changed around", value: (d) => d.at, render: (d) => h("a", { href: aroundHref(d.service, d.at), class: "around-link" }, "around it") },
        { label: "Time to restore", csvLabel: "Time to restore (s)", value: (d) => d.timeToRestoreSeconds, render: (d) => (d.timeToRestoreSeconds == null ? "not restored" : duration(d.timeToRestoreSeconds)), numeric: true },
        {
          label: "Links",
          value: (d) => [d.link, ...(d.links || []).map((l) => l.url)].filter(Boolean).join(" "),
          render: (d) => [webLink(d.link, "deploy"), webUrl(d.link) && d.links?.length ? " · " : "", inlineLinks(d.links, "deploy-links")],
        },
      ],
      rows,
      { caption: "Deploys that failed, were rolled back or fixed forward, newest first", csvName: `delivery-failed-deploys-${from}-${to}.csv` },
    ),
  );
}

/**
 * How a failed change ended. A fix-forward by the same version is a
 * redeploy (a configuration fix), not "fixed forward by 3.6.3" from 3.6.3.
 */
export function outcome(deploy) {
  if (deploy.fixedForwardBy === deploy.version) return `fixed forward by redeploying ${deploy.version}`;
  if (deploy.fixedForwardBy) return `fixed forward by ${deploy.fixedForwardBy}`;
  return deploy.status === "ROLLED_BACK" ? "rolled back" : "failed";
}
