// Changes between two days, in words (docs/changes.md): counts per kind and
// per service, then every change, grouped by the service it belongs to, with
// its title and before → after, a page at a time; filters for a team, a
// service, a kind of change and significance.

import { gql } from "../api.js";
import { h, fill, load, loading, failure, empty, badge, number, text } from "../dom.js";
import { addDays, parseDay } from "../dates.js";
import { href, entityHref, go } from "../router.js";
import { dataTable } from "../table.js";

const PAGE = 100;
const CHANGES = `query Changes($from: Date!, $to: Date!, $kinds: [String!]!, $after: String, $service: String, $team: String, $changeKinds: [ChangeKind!], $significance: Significance) {
  changes(from: $from, to: $to, kinds: $kinds, first: ${PAGE}, after: $after, service: $service, team: $team, changeKinds: $changeKinds, significance: $significance, groupByService: true) {
    totalCount
    summary { kind change isRelation count }
    groups { service count }
    pageInfo { hasNextPage endCursor }
    edges { node { change kind key isRelation sources relation { from to } title service significance changeKind moved { path before after } } }
  }
}`;
const CHANGE_KINDS = ["VERSION", "OWNER", "GATE", "QUALITY", "DEPENDENCY", "REPLICAS", "ROLLOUT", "CONFIG", "DOCUMENT", "ADDED", "REMOVED", "RELATION", "ATTRIBUTE"];
const TONES = { ADDED: "ok", REMOVED: "bad", CHANGED: "" };

export async function render(view, { day, params }) {
  const to = parseDay(params.get("to")) ? params.get("to") : day;
  const from = parseDay(params.get("from")) ? params.get("from") : addDays(to, -7);
  const kind = params.get("kind") || "";
  const filters = {
    service: params.get("service") || null,
    team: params.get("team") || null,
    changeKind: CHANGE_KINDS.includes(params.get("changeKind")) ? params.get("changeKind") : null,
    significance: ["SIGNIFICANT", "MINOR"].includes(params.get("significance")) ? params.get("significance") : null,
  };
  const body = h("div");
  fill(view, h("h1", {}, "Changes between two days"), form(from, to, kind, filters), body);
  if (from > to) {
    fill(body, empty(`'From' (${from}) is after 'to' (${to}).`));
    return;
  }
  await load(body, "the changes", () => changes(from, to, kind, filters));
}

function form(from, to, kind, filters) {
  const fromInput = h("input", { type: "date", id: "changes-from", value: from, required: true });
  const toInput = h("input", { type: "date", id: "changes-to", value: to, required: true });
  const kindInput = h("input", { type: "text", id: "changes-kind", value: kind, placeholder: "service, depends_on…", size: 14 });
  const teamInput = h("input", { type: "text", id: "changes-team", value: filters.team || "", placeholder: "team", size: 12 });
  const serviceInput = h("input", { type: "text", id: "changes-service", value: filters.service || "", placeholder: "service", size: 12 });
  const changeKindSelect = h(
    "select",
    { id: "changes-change-kind" },
    h("option", { value: "" }, "any"),
    CHANGE_KINDS.map((k) => h("option", { value: k, selected: k === filters.changeKind }, k.toLowerCase())),
  );
  const significanceSelect = h(
    "select",
    { id: "changes-significance" },
    [["", "any"], ["SIGNIFICANT", "significant"], ["MINOR", "minor"]].map(([value, label]) => h("option", { value, selected: value === (filters.significance || "") }, label)),
  );
  const submit = (event) => {
    event.preventDefault();
    go(
      href("/changes", {
        from: fromInput.value,
        to: toInput.value,
        kind: kindInput.value.trim() || null,
        team: teamInput.value.trim() || null,
        service: serviceInput.value.trim() || null,
        changeKind: changeKindSelect.value || null,
        significance: significanceSelect.value || null,
      }),
    );
  };
  return h(
    "form",
    { class: "controls", onsubmit: submit, "aria-label": "Days to compare" },
    h("label", { for: "changes-from" }, "From", fromInput),
    h("label", { for: "changes-to" }, "To", toInput),
    h("label", { for: "changes-kind" }, "Only kind", kindInput),
    h("label", { for: "changes-team" }, "Team", teamInput),
    h("label", { for: "changes-service" }, "Service", serviceInput),
    h("label", { for: "changes-change-kind" }, "Kind of change", changeKindSelect),
    h("label", { for: "changes-significance" }, "Significance", significanceSelect),
    h("button", { type: "submit" }, "Compare"),
  );
}

async function changes(from, to, kind, filters) {
  const kinds = kind ? kind.split(",").map((k) => k.trim()).filter(Boolean) : [];
  const variables = { from, to, kinds, service: filters.service, team: filters.team, changeKinds: filters.changeKind ? [filters.changeKind] : null, significance: filters.significance };
  const first = (await gql(CHANGES, variables)).changes;
  if (!first.totalCount) return empty(`Nothing changed between ${from} and ${to}${kind ? ` among ${kind}` : ""}.`);
  const list = h("div", { class: "changes-groups" });
  const more = h("div");
  const counts = new Map(first.groups.map((g) => [g.service, g.count]));
  let group = undefined;
  let groupList = null;
  const append = (connection) => {
    for (const { node } of connection.edges) {
      if (node.service !== group || !groupList) {
        group = node.service;
        groupList = h("ul", { class: "list changes-list" });
        list.append(groupHeading(group, counts.get(group) ?? 0, from, to), groupList);
      }
      groupList.append(item(node));
    }
    fill(
      more,
      connection.pageInfo.hasNextPage
        ? h("button", { type: "button", onclick: () => showMore(connection.pageInfo.endCursor) }, `Show ${PAGE} more`)
        : h("p", { class: "muted" }, "That is all."),
    );
  };
  const showMore = async (after) => {
    fill(more, loading("more changes"));
    try {
      append((await gql(CHANGES, { ...variables, after })).changes);
    } catch (error) {
      fill(more, failure("more changes", error));
    }
  };
  append(first);
  return h(
    "div",
    { class: "grid" },
    h("section", { class: "card", "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, `${number(first.totalCount)} changes from ${from} to ${to}`), summaryTable(first.summary, from, to)),
    h("section", { class: "card", "aria-labelledby": "list-title" }, h("h2", { id: "list-title" }, "Each change"), list, more),
  );
}

function summaryTable(summary, from, to) {
  const kinds = [...new Set(summary.map((s) => s.kind))].sort();
  const count = (kind, change) => summary.filter((s) => s.kind === kind && s.change === change).reduce((sum, s) => sum + s.count, 0);
  const rows = kinds.map((kind) => ({ kind, relation: summary.find((s) => s.kind === kind)?.isRelation, added: count(kind, "ADDED"), changed: count(kind, "CHANGED"), removed: count(kind, "REMOVED") }));
  return dataTable(
    [
      { label: "Kind", value: (r) => r.kind, render: (r) => [h("a", { href: href("/changes", { from, to, kind: r.kind }) }, r.kind), r.relation ? h("span", { class: "muted" }, " (relation)") : ""] },
      { label: "Added", value: (r) => r.added, numeric: true },
      { label: "Changed", value: (r) => r.changed, numeric: true },
      { label: "Removed", value: (r) => r.removed, numeric: true },
    ],
    rows,
    { csvName: `changes-${from}-${to}.csv` },
  );
}

function groupHeading(service, count, from, to) {
  const name = service ? service.replace(/^service:/, "") : "No single service";
  const link = service ? h("a", { href: href("/changes", { from, to, service }) }, name) : name;
  return h("h3", { class: "changes-group", "data-service": service || "" }, link, " ", badge(`${count} changes`));
}

function item(node) {
  const what = node.isRelation
    ? [h("a", { href: entityHref(node.relation.from) }, node.relation.from), ` ${node.kind} `, h("a", { href: entityHref(node.relation.to) }, node.relation.to)]
    : [h("a", { href: entityHref(node.key) }, node.key)];
  const significant = node.significance === "SIGNIFICANT";
  const moved = (node.moved || []).slice(0, 4).map((m) => h("li", { class: "change-moved" }, h("code", {}, m.path), `: ${text(m.before)} → ${text(m.after)}`));
  return h(
    "li",
    { class: significant ? "change significant" : "change minor" },
    badge(node.change.toLowerCase(), TONES[node.change]), " ",
    badge((node.changeKind || "").toLowerCase(), significant ? "warn" : ""), " ",
    h("strong", { class: "change-title" }, node.title || node.key),
    h("span", { class: "muted" }, " — ", what, ` (${node.sources.join(", ")})`),
    moved.length ? h("ul", { class: "change-moves" }, moved) : "",
  );
}
