// What a catalog (Backstage, docs/backstage.md) says of an entity, as
// sections of its page: a system's or domain's parts, an API's providers
// and consumers, a resource's dependents, a group's members and subgroups,
// a user's groups, and the catalog's own facts (type, lifecycle, tags…).

import { h, section, empty, badge, facts, text } from "../dom.js";
import { entityHref } from "../router.js";

/** The kinds whose pages show catalog sections. */
export const CATALOG_KINDS = ["system", "domain", "api", "resource", "component", "user"];

/** Relation lists a page of each kind shows: [title, id, kind, direction]. */
const LISTS = {
  system: [["Parts", "parts", "part_of", "in"]],
  domain: [["Parts", "parts", "part_of", "in"]],
  component: [["Parts", "parts", "part_of", "in"], ["Depended on by", "dependents", "depends_on", "in"]],
  api: [["Provided by", "providers", "provides_api", "in"], ["Consumed by", "consumers", "consumes_api", "in"]],
  resource: [["Depended on by", "dependents", "depends_on", "in"]],
  user: [["Member of", "groups", "member_of", "out"]],
  team: [["Members", "members", "member_of", "in"], ["Subgroups", "subgroups", "child_of", "in"], ["Parent group", "parent", "child_of", "out"]],
};

/** The relations the lists need, for an entity query: OUT and IN with the other end's kind and name. */
export const CATALOG_RELATIONS = `
  catalogOut: relations(direction: OUT, kinds: ["part_of", "member_of", "child_of", "depends_on"]) { kind to toEntity { kind name } }
  catalogIn: relations(direction: IN, kinds: ["part_of", "member_of", "child_of", "depends_on", "provides_api", "consumes_api", "owns"]) { kind from fromEntity { kind name } }`;

/** The catalog sections of an entity the query above read (with `kind` and `facts`). */
export function catalogSections(entity) {
  const lists = LISTS[entity.kind] || [];
  const ends = (kind, direction) =>
    direction === "in"
      ? entity.catalogIn.filter((r) => r.kind === kind).map((r) => ({ key: r.from, kind: r.fromEntity?.kind || r.from.split(":")[0], name: r.fromEntity?.name || r.from }))
      : entity.catalogOut.filter((r) => r.kind === kind).map((r) => ({ key: r.to, kind: r.toEntity?.kind || r.to.split(":")[0], name: r.toEntity?.name || r.to }));
  const sections = lists.map(([title, id, kind, direction]) => {
    const found = ends(kind, direction).sort((a, b) => a.name.localeCompare(b.name));
    // A team no catalog declares as a Group has no members to list: no empty cards.
    if (!found.length && entity.kind === "team") return null;
    return section(`${title} (${found.length})`, id, found.length ? linkList(found) : empty("None on this day."));
  });
  const said = entity.kind === "team" ? null : about(entity, ends);
  // Only what a catalog said: a workload or a doc no catalog describes has no such card.
  if (said?.querySelector("dd")) sections.unshift(section("In the catalog", "catalog", said));
  return sections;
}

function about(entity, ends) {
  const attrs = entity.facts.find((f) => f.source === "github")?.attrs || {};
  const links = (list) => (list.length ? list.flatMap((e, i) => [i ? ", " : "", h("a", { href: entityHref(e.key) }, e.name)]) : null);
  return facts([
    ["Type", attrs.type],
    ["Lifecycle", attrs.lifecycle],
    ["Description", attrs.description],
    ["Owner", links(ends("owns", "in"))],
    ["Part of", links(ends("part_of", "out"))],
    ["Tags", (attrs.tags || []).length ? attrs.tags.map((t) => [badge(t), " "]) : null],
    ["Labels", attrs.labels ? text(attrs.labels) : null],
    ["Namespace", attrs.namespace],
    ["Display name", attrs.display_name],
    ["Email", attrs.email],
    ["Declared in", attrs.declared_in ? [h("a", { href: entityHref(attrs.repo) }, attrs.repo.replace(/^repo:/, "")), ` ${attrs.declared_in}`] : null],
    ["Owner resolves", attrs.unresolved ? badge("to nothing: no Group or User declares it", "warn") : null],
  ]);
}

function linkList(entities) {
  return h("ul", { class: "list" }, entities.map((e) => h("li", {}, h("a", { href: entityHref(e.key) }, e.name), " ", badge(e.kind))));
}
