// Service: everything every source says about it (each fact with its source
// and since-when), owner, repository, docs, what runs where and the deploy
// history, what its repositories only declare (apart: never a deploy), its
// delivery (DORA) metrics, its scorecards (level and failing
// rules), quality over time, Consul health, and its dependency graph.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number, facts, factValue, inlineLinks, webLink, safeLink } from "../dom.js";
import { addDays, formatTime, seconds } from "../dates.js";
import { href, entityHref, go } from "../router.js";
import { timeChart, stepSeries, align, PALETTE } from "../charts.js";
import { dataTable } from "../table.js";
import { graphExplorer } from "../graph.js";
import { actionsPanel } from "../actions.js";
import { DORA_FIGURES, doraFigures, duration } from "./delivery.js";
import { serviceScorecards } from "./scorecards.js";
import { nearbyPanel, aroundHref } from "./nearby.js";

const SERVICE = `query Service($name: String!, $at: Date, $from: Date) {
  service(name: $name, at: $at) {
    key name
    owner { key name }
    repository { key name }
    folder languages
    quality { project { key name } coverage linesOfCode bugs vulnerabilities codeSmells duplicatedLinesDensity qualityGate }
    deployedVersions { cluster datacenter version since source }
    declaredVersions { workload name kind version image file via purpose role counted repository }
    docs { key name url: attribute(path: "url") updated: attribute(path: "updated") }
    links { kind title url source }
    dependencies { key name }
    dependents { key name }
    entity {
      firstSeen lastSeen facts { source scope attrs validFrom validTo }
      dependsOn: relations(direction: OUT, kinds: ["depends_on"]) { from to attrs }
      dependedOnBy: relations(direction: IN, kinds: ["depends_on"]) { from to attrs }
    }
  }
  deployHistory(service: $name, from: $from, to: $at) { cluster version at source link actor rollback status links { kind title url } }
}`;

export const RANGES = [["30", "30 days"], ["90", "90 days"], ["365", "a year"]];

export async function render(view, { day, segments, params, stale }) {
  const key = segments[0];
  const range = RANGES.some(([v]) => v === params.get("range")) ? params.get("range") : "90";
  const from = addDays(day, -Number(range));
  fill(view, h("h1", {}, key.replace(/^service:/, "")), h("p", { class: "subtitle" }, `${key} as of ${day}`), h("div", {}, h("p", { class: "loading", role: "status" }, "Loading the service…")));
  const data = await gql(SERVICE, { name: key, at: day, from });
  if (stale()) return;
  const service = data.service;
  if (!service) {
    fill(view.lastChild, await notSeen(key, day));
    return;
  }
  const rangeSelect = h(
    "select",
    { id: "history-range", onchange: (e) => go(href(`/service/${encodeURIComponent(key)}`, { range: e.target.value })) },
    RANGES.map(([value, label]) => h("option", { value, selected: value === range }, label)),
  );
  const quality = h("div");
  const delivery = h("div");
  const scorecards = h("div");
  fill(
    view.lastChild,
    h("p", {}, h("a", { href: href(`/graph/${encodeURIComponent(key)}`) }, "Open the full dependency graph →"), " · ", h("label", { for: "history-range" }, "History over ", rangeSelect)),
    h(
      "div",
      { class: "grid roomy" },
      section("About", "about", about(service)),
      section("Deployed versions", "deployed", deployedTable(service.deployedVersions, service.declaredVersions.length)),
      section("Health (Consul)", "health", health(service.entity.facts)),
      h("div", { class: "wide" }, section("What changed nearby", "nearby", nearbyPanel(service.key, day, params.get("around")))),
      h("div", { class: "wide" }, section("Declared in repositories", "declared", declaredList(service.declaredVersions))),
      h("div", { class: "wide" }, section("Delivery", "delivery", delivery)),
      h("div", { class: "wide" }, section("Scorecards", "scorecards", scorecards)),
      h("div", { class: "wide" }, section(`Deploys since ${from}`, "deploys", deployHistory(data.deployHistory, from, day, service.key))),
      h("div", { class: "wide" }, section("Actions between snapshots (Kubernetes)", "actions", actionsPanel({ service: key, day }))),
      h("div", { class: "wide" }, section("Quality", "quality", quality)),
      h("div", { class: "wide" }, section("Every source's facts", "facts", sourceFacts(service.entity.facts))),
      h("div", { class: "wide" }, section("Dependencies and dependents", "dependencies", dependencies(service, day))),
    ),
  );
  await Promise.all([
    load(quality, "quality", () => qualityOf(service.quality, from, day)),
    load(delivery, "delivery", () => deliveryOf(service, day)),
    load(scorecards, "the scorecards", () => serviceScorecards(service.key, service.owner, day)),
  ]);
}

/**
 * The service's DORA metrics over the 90 days to the day (the API's
 * default window, weekly), and how long its rollouts take in each cluster
 * it runs in on the day.
 */
async function deliveryOf(service, day) {
  const clusters = [...new Set(service.deployedVersions.map((v) => v.cluster))].sort();
  const [data, estimates] = await Promise.all([
    gql(`query ServiceDelivery($service: String!, $to: Date!) { dora(service: $service, to: $to) { from to environment overall { ${DORA_FIGURES} } } }`, { service: service.key, to: day }),
    Promise.all(
      clusters.map((cluster) =>
        gql(`query DeployEstimate($service: String!, $cluster: String!, $at: DateTime) { deployEstimate(service: $service, cluster: $cluster, at: $at) { cluster p50Seconds p90Seconds samples } }`, { service: service.key, cluster, at: `${day}T23:59:59Z` }).then((d) => d.deployEstimate),
      ),
    ),
  ]);
  const dora = data.dora;
  return h(
    "div",
    {},
    dora.overall.changes ? null : h("p", { class: "notice", role: "note", "data-testid": "no-deploys" }, `No deploy of it was reported from ${dora.from} to ${dora.to}: delivery is measured from what ran (the orchestrator's deploys), never from what repositories declare.`),
    doraFigures(dora.overall, `The DORA metrics of ${service.key}`),
    h(
      "p",
      { class: "muted" },
      `Its deploys to ${dora.environment} from ${dora.from} to ${dora.to}. `,
      service.owner ? [h("a", { href: href("/delivery", { team: service.owner.key }) }, `Delivery of ${service.owner.name}`), " · "] : null,
      h("a", { href: href("/delivery") }, "of the organisation →"),
    ),
    h("h3", {}, "How long its rollouts take"),
    estimates.length
      ? dataTable(
          [
            { label: "Cluster", value: (e) => e.cluster },
            { label: "Median", csvLabel: "Median (s)", value: (e) => e.p50Seconds, render: (e) => duration(e.p50Seconds), numeric: true },
            { label: "90th percentile", csvLabel: "90th percentile (s)", value: (e) => e.p90Seconds, render: (e) => duration(e.p90Seconds), numeric: true },
            { label: "Rollouts", value: (e) => e.samples, numeric: true },
          ],
          estimates,
          { caption: "Its latest 50 succeeded rollouts with a finish time, over the 90 days up to the day shown" },
        )
      : empty("Not deployed in any cluster on this day."),
  );
}

/** Why there is no page for that day, and when the service did exist. */
async function notSeen(key, day) {
  const latest = (await gql(`query Seen($key: String!) { entity(key: $key) { firstSeen lastSeen } }`, { key })).entity;
  const first = latest?.firstSeen;
  return h(
    "div",
    { class: "empty" },
    h("p", {}, `No source saw ${key} on ${day}.`),
    first
      ? h("p", {}, `It was first seen on ${first}: `, h("a", { href: href(`/service/${encodeURIComponent(key)}`, { day: first }) }, `show ${first}`), ".")
      : h("p", {}, "Nor on the latest day: check the name, or search for it from the home page."),
  );
}

function about(service) {
  const e = service.entity;
  const identity = (e.facts.find((f) => f.source === "github") || {}).attrs || {};
  return h(
    "div",
    {},
    identity.conflict ? conflictNote(identity.conflict) : null,
    facts([
      ["Owner", service.owner ? h("a", { href: entityHref(service.owner.key) }, service.owner.name) : "no team owns it"],
      ["Repository", service.repository ? h("a", { href: entityHref(service.repository.key) }, service.repository.name) : "unknown"],
      ["Runs in", clustersOf(service)],
      ["Folder", folderOf(service)],
      ["Language", service.languages.length ? service.languages.join(", ") : "not known: no manifest in its folder, and its repository's languages are not known"],
      ...(identity.name_then ? [["Called then", `${identity.name_then} (renamed since: its whole history is kept under ${service.key})`]] : []),
      ["Found by", identity.found_by ? identity.found_by.join(", ") + (identity.signal ? ` (${identity.signal})` : "") : "no repository builds it"],
      ["Named by", identity.named_by || "its other sources"],
      ["First seen", e.firstSeen],
      ["Last seen", e.lastSeen || "still seen"],
    ]),
    h("h3", {}, "Docs"),
    service.docs.length
      ? h("ul", { class: "list" }, service.docs.map((d) => h("li", {}, h("a", { href: entityHref(d.key) }, d.name), d.updated ? h("span", { class: "muted" }, ` (updated ${d.updated})`) : null)))
      : empty("No page documents it."),
    h("h3", {}, "Links"),
    h("div", { id: "links" }, linkList(service.links)),
  );
}

/** The clusters it runs in on the day, each linked to its page (what else runs there). */
function clustersOf(service) {
  const clusters = [...new Set(service.deployedVersions.map((v) => v.cluster))].sort();
  if (!clusters.length) return "no cluster on this day";
  return h("span", { id: "runs-in" }, clusters.map((c, i) => [i ? ", " : "", h("a", { href: entityHref(`cluster:${c}`) }, c)]));
}

/** Where in its repository its code is: the root is said, not left blank. */
function folderOf(service) {
  if (service.folder == null) return "no repository builds it";
  return service.folder === "" ? "the repository's root" : h("code", {}, service.folder);
}

const LINK_SOURCES = { TEMPLATE: "SPoT's templates", CATALOG: "catalog-info.yaml", ANNOTATION: "annotation" };

/** Logs, dashboards, runbooks…: each with its kind and where it comes from. */
function linkList(links) {
  if (!links.length) return empty("No links: configure [links] templates, or declare links in catalog-info.yaml or as a8r.io annotations.");
  return h(
    "ul",
    { class: "list links" },
    links.map((l) =>
      h("li", {}, badge(l.kind), " ", safeLink(l.url, l.title), h("span", { class: "muted" }, ` (${LINK_SOURCES[l.source] || l.source})`)),
    ),
  );
}

/** A service that lost its name to another claim says so, and who holds it. */
function conflictNote(conflict) {
  return h(
    "p",
    { class: "notice", role: "note", "data-testid": "identity-conflict" },
    `Identity conflict: this service also claims the name “${conflict.name}”, which `,
    h("a", { href: entityHref(conflict.held_by) }, conflict.held_by),
    ` keeps (${conflict.reason || "the stronger claim"}; held by `,
    h("a", { href: entityHref(conflict.holder_repo) }, conflict.holder_repo),
    `). It is kept apart under its own key; pin or rename one to resolve it.`,
  );
}

function deployedTable(versions, declared) {
  if (!versions.length) return empty(`Not deployed in any cluster on this day.${declared ? " Its repositories declare versions (below): what is declared is not what runs." : ""}`);
  return dataTable(
    [
      { label: "Cluster", value: (v) => v.cluster },
      { label: "Datacenter", value: (v) => v.datacenter },
      { label: "Version", value: (v) => v.version },
      { label: "Since", value: (v) => formatTime(v.since) },
      { label: "Seen by", value: (v) => v.source },
    ],
    versions,
    { caption: "What runs in each cluster", csvName: "deployed-versions.csv" },
  );
}

const PURPOSE_NOTES = { test: "test — not counted", example: "example — not counted" };

/**
 * What its repositories declare for it (manifests, kustomize overlays, Helm
 * values): intentions read from files, never a deploy nor a cluster. Those
 * meant to be deployed first; tests and examples labelled, never counted.
 */
function declaredList(rows) {
  if (!rows.length) return empty("No repository declares a workload for it.");
  const counted = [...new Set(rows.filter((r) => r.counted).map((r) => r.version))];
  return h(
    "div",
    {},
    h("p", { class: "muted" }, "What its repositories' files declare, not what runs. ", counted.length ? ["Declared for deployment: ", h("strong", {}, counted.join(", ")), "."] : "No version is declared for deployment."),
    dataTable(
      [
        { label: "Version", value: (r) => r.version, render: (r) => r.version || h("span", { class: "muted" }, r.role === "job" ? "a job: its image is no version" : "no tag") },
        { label: "Declared in", value: (r) => `${r.repository}/${r.file}`, render: (r) => h("span", { title: r.workload }, h("code", {}, r.file), h("span", { class: "muted" }, ` (${r.repository})`)) },
        { label: "Via", value: (r) => r.via },
        { label: "Purpose", value: (r) => r.purpose, render: (r) => badge(PURPOSE_NOTES[r.purpose] || r.purpose, r.counted ? "ok" : "") },
        { label: "Workload", value: (r) => `${r.kind} ${r.name}` },
      ],
      rows,
      { caption: "Declared in its repositories", csvName: "declared-versions.csv" },
    ),
  );
}

/** A timeline of deploys, one lane per cluster, rollbacks in red; then the table. */
function deployHistory(deploys, from, day, service) {
  if (!deploys.length) return empty(`No deploys between ${from} and ${day}.`);
  const clusters = [...new Set(deploys.map((d) => d.cluster))].sort();
  const times = [...new Set(deploys.map((d) => seconds(d.at)))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const lanes = clusters.map((cluster, lane) => {
    const values = new Array(times.length).fill(null);
    for (const d of deploys) if (d.cluster === cluster && !d.rollback) values[at.get(seconds(d.at))] = lane;
    return { label: cluster, values, points: true, color: PALETTE[lane % PALETTE.length] };
  });
  const rollbacks = new Array(times.length).fill(null);
  for (const d of deploys) if (d.rollback) rollbacks[at.get(seconds(d.at))] = clusters.indexOf(d.cluster);
  const versionAt = (index) => deploys.filter((d) => seconds(d.at) === times[index]).map((d) => `${d.cluster} ${d.version}`).join(", ");
  lanes.forEach((lane) => (lane.valueText = versionAt));
  const rollbackCount = deploys.filter((d) => d.rollback).length;
  return h(
    "div",
    {},
    h("p", {}, `${deploys.length} deploys in ${clusters.length} clusters, `, badge(`${rollbackCount} rollbacks`, rollbackCount ? "bad" : "ok")),
    timeChart({
      title: "Deploys per cluster (red: rollback)",
      x: times,
      series: [...lanes, { label: "rollback", values: rollbacks, points: true, color: "#b3261e", pointSize: 12 }],
      lanes: clusters,
      yRange: [-0.5, clusters.length - 0.5],
      yFormat: (v) => clusters[v] ?? "",
      height: 80 + clusters.length * 36,
    }),
    dataTable(
      [
        { label: "When", value: (d) => formatTime(d.at) },
        { label: "Cluster", value: (d) => d.cluster },
        { label: "Version", value: (d) => d.version },
        { label: "Rollback", value: (d) => (d.rollback ? "yes" : ""), render: (d) => (d.rollback ? badge("rollback", "bad") : "") },
        { label: "What changed around", value: (d) => (failedDeploy(d) ? d.at : ""), render: (d) => (failedDeploy(d) ? h("a", { href: aroundHref(service, d.at), class: "around-link" }, `around this ${d.rollback ? "rollback" : "failure"}`) : "") },
        { label: "Source", value: (d) => d.source },
        { label: "Actor", value: (d) => d.actor },
        { label: "Link", value: (d) => d.link, render: (d) => webLink(d.link, "link") },
        { label: "Links", value: (d) => (d.links || []).map((l) => l.url).join(" "), render: (d) => inlineLinks(d.links, "deploy-links") },
      ],
      [...deploys].reverse(),
      { caption: "Deploys, newest first", csvName: "deploys.csv", limit: 200 },
    ),
  );
}

/** A deploy worth asking "what changed around it?": failed or rolled back. */
function failedDeploy(d) {
  return d.rollback || d.status === "FAILED" || d.status === "ROLLED_BACK";
}

async function qualityOf(quality, from, day) {
  if (!quality) return empty("No SonarQube project measures this service or its repository.");
  const key = quality.project.key;
  const series = await gql(
    `query Quality($key: String!, $from: Date!, $to: Date!) {
      coverage: timeline(key: $key, attribute: "coverage", from: $from, to: $to) { from value }
      ncloc: timeline(key: $key, attribute: "ncloc", from: $from, to: $to) { from value }
      bugs: timeline(key: $key, attribute: "bugs", from: $from, to: $to) { from value }
      vulnerabilities: timeline(key: $key, attribute: "vulnerabilities", from: $from, to: $to) { from value }
      smells: timeline(key: $key, attribute: "code_smells", from: $from, to: $to) { from value }
      gate: timeline(key: $key, attribute: "quality_gate", from: $from, to: $to) { from value }
    }`,
    { key, from, to: day },
  );
  const gateTone = quality.qualityGate === "OK" ? "ok" : quality.qualityGate === "ERROR" ? "bad" : "warn";
  const chart = (title, list, labels) => {
    const steps = list.map((points) => stepSeries(points, from, day));
    const { days, values } = align(steps);
    return timeChart({ title, x: days.map(seconds), series: values.map((v, i) => ({ label: labels[i], values: v, step: true })) });
  };
  const gate = stepSeries(series.gate, from, day, (v) => (v === "OK" ? 1 : v === "ERROR" ? 0 : null));
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "figures" },
      [
        ["Coverage", quality.coverage == null ? "—" : `${number(quality.coverage, 1)} %`],
        ["Lines of code", number(quality.linesOfCode)],
        ["Bugs", number(quality.bugs)],
        ["Vulnerabilities", number(quality.vulnerabilities)],
        ["Code smells", number(quality.codeSmells)],
        ["Duplication", quality.duplicatedLinesDensity == null ? "—" : `${number(quality.duplicatedLinesDensity, 1)} %`],
        ["Quality gate", badge(quality.qualityGate || "none", gateTone)],
      ].map(([label, value]) => h("div", { class: "figure" }, h("dt", {}, label), h("dd", {}, value))),
    ),
    h("p", { class: "muted" }, "Measured by ", h("a", { href: entityHref(key) }, quality.project.name), "."),
    h(
      "div",
      { class: "grid" },
      chart("Coverage (%)", [series.coverage], ["coverage"]),
      chart("Lines of code", [series.ncloc], ["lines"]),
      chart("Issues", [series.bugs, series.vulnerabilities, series.smells], ["bugs", "vulnerabilities", "code smells"]),
      timeChart({ title: "Quality gate", x: gate.days.map(seconds), series: [{ label: "gate", values: gate.values, step: true, color: "#2e933c" }], yRange: [-0.2, 1.2], lanes: ["ERROR", "OK"], yFormat: (v) => (v === 1 ? "OK" : v === 0 ? "ERROR" : ""), height: 150 }),
    ),
  );
}

/** Consul's view, one row per datacenter (the fact's scope). */
function health(allFacts) {
  const consul = allFacts.filter((f) => f.source === "consul");
  if (!consul.length) return empty("Consul does not know this service on this day.");
  const state = (a) => (a.critical > 0 ? badge("critical", "bad") : a.warning > 0 ? badge("warning", "warn") : badge("passing", "ok"));
  return dataTable(
    [
      { label: "Datacenter", value: (f) => f.scope },
      { label: "State", value: (f) => (f.attrs.critical > 0 ? "critical" : f.attrs.warning > 0 ? "warning" : "passing"), render: (f) => state(f.attrs) },
      { label: "Instances", value: (f) => f.attrs.instances, numeric: true },
      { label: "Passing", value: (f) => f.attrs.passing, numeric: true },
      { label: "Warning", value: (f) => f.attrs.warning, numeric: true },
      { label: "Critical", value: (f) => f.attrs.critical, numeric: true },
      { label: "Since", value: (f) => f.validFrom },
    ],
    consul,
    { caption: "Health checks per datacenter" },
  );
}

/** Each source's facts with the day they became valid. */
export function sourceFacts(allFacts) {
  if (!allFacts.length) return empty("No source has facts on this day.");
  return h(
    "div",
    {},
    allFacts.map((fact) =>
      h(
        "div",
        { class: "source" },
        h("h3", {}, badge(fact.source), " ", fact.scope, h("span", { class: "since" }, ` since ${fact.validFrom}${fact.validTo ? `, until ${fact.validTo}` : ""}`)),
        facts(Object.entries(fact.attrs).map(([name, value]) => [name, factValue(value)])),
      ),
    ),
  );
}

// Why a dependency is known, as each relation says: "env CART_SERVICE_ADDR in
// kubernetes-manifests/frontend.yaml", "package npm/@acme/client", "consul".
function why(relations) {
  const reasons = [...new Set(relations.map((r) => reason(r.attrs ?? {})))];
  return reasons.length ? h("span", { class: "why" }, ` — ${reasons.join("; ")}`) : [];
}

function reason(attrs) {
  const via = attrs.via ?? "declared";
  if (attrs.file) return `${via}${attrs.variable ? ` ${attrs.variable}` : ""} in ${attrs.file}`;
  if (attrs.package) return `${via} ${attrs.package.replace(/^package:/, "")}`;
  return via;
}

function dependencies(service, day) {
  const entity = service.entity ?? {};
  const list = (title, entities, edges, end) =>
    h(
      "div",
      {},
      h("h3", {}, `${title} (${entities.length})`),
      entities.length
        ? h(
            "ul",
            { class: "list dependencies" },
            entities
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((e) => h("li", {}, h("a", { href: entityHref(e.key) }, e.name), e.key.startsWith("resource:") ? [" ", badge("resource")] : [], why((edges ?? []).filter((r) => r[end] === e.key)))),
          )
        : empty("None."),
    );
  return h(
    "div",
    {},
    h("div", { class: "grid" }, list("It depends on", service.dependencies, entity.dependsOn, "to"), list("Depend on it", service.dependents, entity.dependedOnBy, "from")),
    graphExplorer({ key: service.key, day, options: { depth: 1, direction: "BOTH", kinds: ["depends_on"] }, small: true }),
  );
}
