// Package: which repositories (and services) use which versions, how far
// behind the latest they are, and the services that depend on it
// transitively (uses ← builds → depends_on ←). How far behind, and the
// order of versions, are the API's answers (each ecosystem's own version
// rules), never computed here.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number, facts, factValue } from "../dom.js";
import { entityHref, href } from "../router.js";
import { dataTable } from "../table.js";

const PACKAGE = `query Package($key: String!, $at: Date!) {
  package(key: $key, at: $at) {
    latest
    versions { version behind uses managedBy managedByVersion }
  }
  entity(key: $key, at: $at) {
    key name firstSeen
    facts { source scope attrs validFrom }
    users: relations(direction: IN, kinds: ["uses"]) { from source attrs validFrom behind fromEntity { kind name } }
    publishers: relations(direction: IN, kinds: ["publishes"]) { from fromEntity { name } }
  }
}`;

const DEPENDENTS = `query Dependents($key: String!, $at: Date!, $depth: Int!) {
  dependencies(key: $key, at: $at, depth: $depth, rules: [
    { kind: "uses", direction: IN }, { kind: "builds", direction: OUT }, { kind: "depends_on", direction: IN }
  ]) { nodes { depth entity { key kind name } } }
}`;

// The API's levels (VersionLag), as shown.
const LEVELS = { UP_TO_DATE: "up to date", PATCH: "patch", MINOR: "minor", MAJOR: "major", AHEAD: "ahead", UNKNOWN: "unknown" };
const TONES = { "up to date": "ok", patch: "", minor: "warn", major: "bad", ahead: "", unknown: "" };

export async function render(view, { day, segments, stale }) {
  const key = segments[0];
  fill(view, h("h1", {}, key.replace(/^package:/, "")), h("p", { class: "loading", role: "status" }, "Loading the package…"));
  const data = await gql(PACKAGE, { key, at: day });
  if (stale()) return;
  const pkg = data.entity;
  if (!pkg) {
    fill(view, h("h1", {}, key), empty(`No source saw ${key} on ${day}.`));
    return;
  }
  const latest = data.package?.latest ?? null;
  const versions = data.package?.versions ?? [];
  // The API lists versions newest first, in the package ecosystem's order.
  const rank = new Map(versions.map((v, index) => [v.version, index]));
  const users = pkg.users.map((r) => ({
    key: r.from,
    name: r.fromEntity?.name || r.from,
    kind: r.fromEntity?.kind || r.from.split(":")[0],
    resolved: r.attrs.resolved ?? null,
    spec: r.attrs.spec ?? null,
    scope: r.attrs.scope ?? null,
    manifest: r.attrs.manifest ?? null,
    since: r.validFrom,
    behind: LEVELS[r.behind] ?? "unknown",
  }));
  // Oldest versions first; uses without a version last.
  const age = (u) => (u.resolved == null ? -1 : (rank.get(u.resolved) ?? -1));
  users.sort((a, b) => age(b) - age(a) || a.name.localeCompare(b.name));
  const dependents = h("div");
  fill(
    view,
    h("h1", {}, pkg.name, " ", badge("package")),
    h("p", { class: "subtitle" }, `${pkg.key} as of ${day}`),
    h(
      "div",
      { class: "grid" },
      section(
        "About",
        "about",
        facts([
          ["Latest version", latest || "unknown"],
          ["Published by", pkg.publishers.length ? pkg.publishers.map((p) => h("a", { href: entityHref(p.from) }, p.fromEntity?.name || p.from)) : "not published from a known repository"],
          ["Used by", `${number(users.length)} manifests`],
          ["First seen", pkg.firstSeen],
        ]),
        pkg.facts.map((f) => h("div", { class: "source" }, h("h3", {}, badge(f.source), h("span", { class: "since" }, ` since ${f.validFrom}`)), facts(Object.entries(f.attrs).map(([n, v]) => [n, factValue(v)])))),
      ),
      section("Versions in use", "versions", versionSummary(users, versions, latest)),
      h("div", { class: "wide" }, section("Who uses it", "users", usersTable(users, pkg.name))),
      h(
        "div",
        { class: "wide" },
        section(
          "Services that depend on it, transitively",
          "dependents",
          dependents,
          h("p", {}, h("a", { href: href(`/graph/${encodeURIComponent(key)}`, { kinds: "uses,builds,depends_on", direction: "BOTH", depth: 3 }) }, "See it as a graph →")),
        ),
      ),
    ),
  );
  await load(dependents, "the dependent services", () => dependentServices(key, day, pkg.name));
}

const DEPTH = 6;

async function dependentServices(key, day, name) {
  const { dependencies } = await gql(DEPENDENTS, { key, at: day, depth: DEPTH });
  const services = dependencies.nodes.filter((n) => n.entity.kind === "service").sort((a, b) => a.depth - b.depth || a.entity.name.localeCompare(b.entity.name));
  if (!services.length) return empty("No service depends on it.");
  return dataTable(
    [
      { label: "Service", value: (n) => n.entity.name, render: (n) => h("a", { href: entityHref(n.entity.key) }, n.entity.name) },
      { label: "Hops", value: (n) => n.depth, numeric: true },
    ],
    services,
    { csvName: `${name}-dependent-services.csv`, caption: `${services.length} services, through uses, builds and depends_on, up to ${DEPTH} hops` },
  );
}

function versionSummary(users, versions, latest) {
  if (!users.length) return empty("Nothing uses it on this day.");
  const byLevel = new Map();
  for (const u of users) byLevel.set(u.behind, (byLevel.get(u.behind) || 0) + 1);
  return h(
    "div",
    {},
    h("p", {}, ["up to date", "patch", "minor", "major", "ahead", "unknown"].filter((l) => byLevel.has(l)).map((level) => [badge(`${byLevel.get(level)} ${level === "up to date" ? "up to date" : level === "ahead" || level === "unknown" ? level : `${level} behind`}`, TONES[level]), " "])),
    dataTable(
      [
        { label: "Version", value: versionText },
        { label: "Behind", value: (v) => LEVELS[v.behind], render: (v) => badge(LEVELS[v.behind], TONES[LEVELS[v.behind]]) },
        { label: "Users", value: (v) => v.uses, numeric: true },
      ],
      versions,
      { caption: `Latest: ${latest || "unknown"}` },
    ),
  );
}

/** A version in use; for uses with none of their own, what gives it. */
function versionText(v) {
  if (v.version) return v.version;
  if (!v.managedBy) return "none resolved";
  const parent = v.managedBy.replace(/^package:[^/]+\//, "").split(":").pop();
  return `managed by ${parent}${v.managedByVersion ? ` ${v.managedByVersion}` : ""}`;
}

function usersTable(users, name) {
  if (!users.length) return empty("Nothing uses it on this day.");
  return dataTable(
    [
      { label: "Used by", value: (u) => u.name, render: (u) => [h("a", { href: entityHref(u.key) }, u.name), " ", badge(u.kind)] },
      { label: "Resolved", value: (u) => u.resolved },
      { label: "Behind", value: (u) => u.behind, render: (u) => badge(u.behind, TONES[u.behind]) },
      { label: "Spec", value: (u) => u.spec },
      { label: "Scope", value: (u) => u.scope },
      { label: "Manifest", value: (u) => u.manifest },
      { label: "Since", value: (u) => u.since },
    ],
    users,
    { csvName: `${name}-users.csv`, caption: "Manifests that use it, oldest versions first" },
  );
}
