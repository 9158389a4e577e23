// Any entity (repository, doc, workload, cluster, SonarQube project,
// system, domain, API, resource, user…): what a catalog says of it, every
// source's facts and its relations, both ways, grouped by kind.

import { gql } from "../api.js";
import { h, fill, section, empty, badge, facts, safeLink, webUrl } from "../dom.js";
import { href, entityHref } from "../router.js";
import { sourceFacts } from "./service.js";
import { CATALOG_RELATIONS, catalogSections } from "./catalog.js";

const ENTITY = `query Entity($key: String!, $at: Date) {
  entity(key: $key, at: $at) {
    key kind name firstSeen lastSeen
    facts { source scope attrs validFrom validTo }
    out: relations(direction: OUT) { kind to source validFrom toEntity { name } }
    in: relations(direction: IN) { kind from source validFrom fromEntity { name } }
    ${CATALOG_RELATIONS}
  }
}`;

/** How many neighbours of one kind are listed before "and N more". */
const LISTED = 100;

export async function render(view, { day, segments, stale }) {
  const key = segments[0];
  fill(view, h("h1", {}, key), h("p", { class: "loading", role: "status" }, "Loading…"));
  const { entity } = await gql(ENTITY, { key, at: day });
  if (stale()) return;
  if (!entity) {
    fill(view, h("h1", {}, key), empty(`No source saw ${key} on ${day}.`), h("p", {}, h("a", { href: href("/") }, "Search from the home page")));
    return;
  }
  fill(
    view,
    h("h1", {}, entity.name, " ", badge(entity.kind)),
    h("p", { class: "subtitle" }, `${entity.key} as of ${day}`),
    h(
      "div",
      { class: "grid" },
      section(
        "About",
        "about",
        facts([["Open", outside(entity)], ["First seen", entity.firstSeen], ["Last seen", entity.lastSeen || "still seen"]]),
        h("p", {}, h("a", { href: href(`/graph/${encodeURIComponent(key)}`, { kinds: "" }) }, "Open its graph →")),
      ),
      catalogSections(entity),
      section("Every source's facts", "facts", sourceFacts(entity.facts)),
      section("Relations out", "relations-out", relationList(entity.out, (r) => r.to, (r) => r.toEntity?.name)),
      section("Relations in", "relations-in", relationList(entity.in, (r) => r.from, (r) => r.fromEntity?.name)),
    ),
  );
}

/** Fact attributes that hold the entity's own page elsewhere. */
const URL_ATTRS = ["url", "html_url", "web_url"];

const SOURCE_NAMES = { confluence: "Confluence", github: "GitHub", gitlab: "GitLab", backstage: "Backstage", sonarqube: "SonarQube" };

/**
 * Where the entity lives outside SPoT, one click away: a repository on its
 * host (GitHub for `repo:github.com/acme/billing`), and every URL its
 * sources give as its own (a Confluence page's `url`). Null when none.
 */
export function outside(entity) {
  const links = new Map();
  const repo = /^repo:([a-z0-9.-]+\.[a-z]+)\/(.+)$/i.exec(entity.key);
  if (repo) links.set(`https://${repo[1]}/${repo[2]}`, `${repo[2]} on ${repo[1] === "github.com" ? "GitHub" : repo[1]}`);
  for (const fact of entity.facts ?? []) {
    for (const name of URL_ATTRS) {
      const url = fact.attrs?.[name];
      if (webUrl(url) && !links.has(url)) links.set(url, `Open in ${SOURCE_NAMES[fact.source] ?? fact.source}`);
    }
  }
  if (!links.size) return null;
  return h("span", { class: "outside-links" }, [...links].map(([url, label], i) => [i ? " · " : "", safeLink(url, label)]));
}

/** Relations grouped by kind; one line per neighbour with the sources that report it. */
export function relationList(relations, other, name) {
  if (!relations.length) return empty("None on this day.");
  const byKind = new Map();
  for (const relation of relations) {
    const neighbours = byKind.get(relation.kind) || new Map();
    byKind.set(relation.kind, neighbours);
    const key = other(relation);
    const seen = neighbours.get(key) || { key, name: name(relation) || key, sources: new Set(), since: relation.validFrom };
    seen.sources.add(relation.source);
    if (relation.validFrom < seen.since) seen.since = relation.validFrom;
    neighbours.set(key, seen);
  }
  return h(
    "div",
    {},
    [...byKind.entries()].sort().map(([kind, neighbours]) => {
      const all = [...neighbours.values()].sort((a, b) => a.name.localeCompare(b.name));
      return [
        h("h3", {}, `${kind} (${all.length})`),
        h(
          "ul",
          { class: "list" },
          all.slice(0, LISTED).map((n) => h("li", {}, h("a", { href: entityHref(n.key) }, n.name), h("span", { class: "muted" }, ` ${[...n.sources].join(", ")} · since ${n.since}`))),
          all.length > LISTED ? h("li", { class: "muted" }, `and ${all.length - LISTED} more`) : null,
        ),
      ];
    }),
  );
}
