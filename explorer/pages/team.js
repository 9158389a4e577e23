// Team: what it owns, and the service figures rolled up over it: quality
// (coverage, size, issues, failing gates) now and over time against the
// organisation, Consul health, and its services that run mixed versions;
// links to its delivery and scorecards pages.

import { gql } from "../api.js";
import { h, fill, section, empty, badge, number, facts, factValue } from "../dom.js";
import { addDays, seconds } from "../dates.js";
import { href, entityHref } from "../router.js";
import { timeChart } from "../charts.js";
import { dataTable } from "../table.js";
import { CATALOG_RELATIONS, catalogSections } from "./catalog.js";

const TO_TEAM = `[{ kind: "measures", direction: OUT }, { kind: "owns", direction: IN }]`;

const TEAM = `query Team($key: String!, $at: Date!, $from: Date!) {
  entity: team(name: $key, at: $at) {
    key name firstSeen
    facts { source scope attrs validFrom }
    owns: relations(direction: OUT, kinds: ["owns"]) { to toEntity { kind name consul: facts(source: "consul") { attrs } } }
    ${CATALOG_RELATIONS}
  }
  coverage: trend(kind: "sonar_project", attribute: "coverage", groupBy: ${TO_TEAM}, from: $from, to: $at, bucket: WEEK) { bucket group value count }
  organisation: trend(kind: "sonar_project", attribute: "coverage", from: $from, to: $at, bucket: WEEK) { bucket value }
  failing: trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, equals: "ERROR", groupBy: ${TO_TEAM}, from: $from, to: $at, bucket: WEEK) { bucket group value }
  ncloc: trend(kind: "sonar_project", attribute: "ncloc", aggregate: SUM, groupBy: ${TO_TEAM}, from: $at, to: $at, bucket: DAY) { group value }
  bugs: trend(kind: "sonar_project", attribute: "bugs", aggregate: SUM, groupBy: ${TO_TEAM}, from: $at, to: $at, bucket: DAY) { group value }
  vulnerabilities: trend(kind: "sonar_project", attribute: "vulnerabilities", aggregate: SUM, groupBy: ${TO_TEAM}, from: $at, to: $at, bucket: DAY) { group value }
  versionDrift(at: $at, first: 500) { service { key name } distinct versions { cluster version } }
}`;

export async function render(view, { day, segments, stale }) {
  // The address may name the team as a person writes it (`Payments`,
  // `@acme/Payments`): the API finds its key (docs/api.md).
  const written = segments[0];
  const from = addDays(day, -90);
  fill(view, h("h1", {}, written.replace(/^team:/, "")), h("p", { class: "loading", role: "status" }, "Loading the team…"));
  const data = await gql(TEAM, { key: written, at: day, from });
  if (stale()) return;
  const team = data.entity;
  if (!team) {
    fill(view, h("h1", {}, written), empty(`No source saw ${written} on ${day}.`));
    return;
  }
  const key = team.key;
  const owned = new Map();
  for (const r of team.owns) owned.set(r.to, { key: r.to, kind: r.toEntity?.kind || r.to.split(":")[0], name: r.toEntity?.name || r.to, consul: r.toEntity?.consul || [] });
  const services = [...owned.values()].filter((e) => e.kind === "service").sort(byName);
  const repos = [...owned.values()].filter((e) => e.kind === "repo").sort(byName);
  const others = [...owned.values()].filter((e) => e.kind !== "service" && e.kind !== "repo").sort(byName);
  const mine = (points) => points.filter((p) => p.group === key);
  const latestOf = (points) => mine(points).at(-1)?.value ?? null;
  const drifting = data.versionDrift.filter((d) => owned.has(d.service.key));
  // Consul's checks, one fact per datacenter: a service is as bad as its worst datacenter.
  const checks = services.map((service) => service.consul.map((f) => f.attrs));
  const worst = (attrs) => (attrs.some((a) => a.critical > 0) ? "critical" : attrs.some((a) => a.warning > 0) ? "warning" : "passing");
  const health = { critical: checks.filter((c) => worst(c) === "critical").length, warning: checks.filter((c) => worst(c) === "warning").length };
  fill(
    view,
    h("h1", {}, team.name, " ", badge("team")),
    h("p", { class: "subtitle" }, `${team.key} as of ${day}; seen since ${team.firstSeen}`),
    h(
      "p",
      {},
      h("a", { href: href("/delivery", { team: key }) }, "Delivery: its DORA metrics, trends and failed deploys →"),
      " · ",
      h("a", { href: href("/scorecards", { team: key }), id: "team-scorecards" }, "Scorecards: its services' levels and failing rules →"),
    ),
    h(
      "div",
      { class: "grid" },
      section(
        "Figures",
        "figures",
        h(
          "dl",
          { class: "figures" },
          [
            ["Services", number(services.length)],
            ["Repositories", number(repos.length)],
            ["Average coverage", latestOf(data.coverage) == null ? "—" : `${number(latestOf(data.coverage), 1)} %`],
            ["Failing quality gates", number(latestOf(data.failing) ?? 0)],
            ["Lines of code", number(latestOf(data.ncloc))],
            ["Bugs", number(latestOf(data.bugs))],
            ["Vulnerabilities", number(latestOf(data.vulnerabilities))],
            ["Services running mixed versions", number(drifting.length)],
            ["Services with critical checks", number(health.critical)],
            ["Services with warnings", number(health.warning)],
          ].map(([label, value]) => h("div", { class: "figure" }, h("dt", {}, label), h("dd", {}, value))),
        ),
        team.facts.map((f) => h("div", { class: "source" }, h("h3", {}, badge(f.source), h("span", { class: "since" }, ` since ${f.validFrom}`)), facts(Object.entries(f.attrs).map(([n, v]) => [n, factValue(v)])))),
      ),
      section("Quality over 90 days", "quality", qualityCharts(data, key)),
      section(`Services (${services.length})`, "services", ownedList(services, "It owns no service.")),
      section(`Repositories (${repos.length})`, "repos", ownedList(repos, "It owns no repository.")),
      others.length ? section(`Also owns (${others.length})`, "owned", ownedList(others, "")) : null,
      catalogSections({ ...team, kind: "team" }),
      h(
        "div",
        { class: "wide" },
        section(
          "Services running different versions across clusters",
          "drift",
          drifting.length
            ? dataTable(
                [
                  { label: "Service", value: (d) => d.service.name, render: (d) => h("a", { href: entityHref(d.service.key) }, d.service.name) },
                  { label: "Versions", value: (d) => d.distinct, numeric: true },
                  { label: "Per cluster", value: (d) => d.versions.map((v) => `${v.cluster} ${v.version}`).join(", ") },
                ],
                drifting,
                { csvName: `${team.name}-version-drift.csv` },
              )
            : empty("Every service of this team runs one version everywhere."),
        ),
      ),
    ),
  );
}

function byName(a, b) {
  return a.name.localeCompare(b.name);
}

function ownedList(entities, none) {
  if (!entities.length) return empty(none);
  return h("ul", { class: "list" }, entities.map((e) => h("li", {}, h("a", { href: entityHref(e.key) }, e.name))));
}

function qualityCharts(data, key) {
  const buckets = [...new Set(data.organisation.map((p) => p.bucket))].sort();
  const valueOf = (points, bucket, group) => points.find((p) => p.bucket === bucket && (group === undefined || p.group === group))?.value ?? null;
  const x = buckets.map(seconds);
  return h(
    "div",
    {},
    timeChart({
      title: "Average coverage (%), weekly",
      x,
      series: [
        { label: "this team", values: buckets.map((b) => valueOf(data.coverage, b, key)) },
        { label: "organisation", values: buckets.map((b) => valueOf(data.organisation, b)), dash: [6, 4], color: "#7f7f7f" },
      ],
    }),
    timeChart({ title: "Failing quality gates, weekly", x, series: [{ label: "failing", values: buckets.map((b) => valueOf(data.failing, b, key) ?? 0), color: "#b3261e" }] }),
    h("p", {}, h("a", { href: href("/reports", { report: "coverage" }) }, "Compare every team in the reports →")),
  );
}
