// Changes between two days: counts per kind, then every added, changed and
// removed entity and relation, a page at a time.

import { gql } from "../api.js";
import { h, fill, load, loading, failure, empty, badge, number } from "../dom.js";
import { addDays, parseDay } from "../dates.js";
import { href, entityHref, go } from "../router.js";
import { dataTable } from "../table.js";

const PAGE = 100;
const CHANGES = `query Changes($from: Date!, $to: Date!, $kinds: [String!]!, $after: String) {
  changes(from: $from, to: $to, kinds: $kinds, first: ${PAGE}, after: $after) {
    totalCount
    summary { kind change isRelation count }
    pageInfo { hasNextPage endCursor }
    edges { node { change kind key isRelation sources relation { from to } } }
  }
}`;
const TONES = { ADDED: "ok", REMOVED: "bad", CHANGED: "" };

export async function render(view, { day, params }) {
  const to = parseDay(params.get("to")) ? params.get("to") : day;
  const from = parseDay(params.get("from")) ? params.get("from") : addDays(to, -7);
  const kind = params.get("kind") || "";
  const body = h("div");
  fill(view, h("h1", {}, "Changes between two days"), form(from, to, kind), body);
  if (from > to) {
    fill(body, empty(`'From' (${from}) is after 'to' (${to}).`));
    return;
  }
  await load(body, "the changes", () => changes(from, to, kind));
}

function form(from, to, kind) {
  const fromInput = h("input", { type: "date", id: "changes-from", value: from, required: true });
  const toInput = h("input", { type: "date", id: "changes-to", value: to, required: true });
  const kindInput = h("input", { type: "text", id: "changes-kind", value: kind, placeholder: "service, depends_on…", size: 14 });
  const submit = (event) => {
    event.preventDefault();
    go(href("/changes", { from: fromInput.value, to: toInput.value, kind: kindInput.value.trim() || null }));
  };
  return h(
    "form",
    { class: "controls", onsubmit: submit, "aria-label": "Days to compare" },
    h("label", { for: "changes-from" }, "From", fromInput),
    h("label", { for: "changes-to" }, "To", toInput),
    h("label", { for: "changes-kind" }, "Only kind", kindInput),
    h("button", { type: "submit" }, "Compare"),
  );
}

async function changes(from, to, kind) {
  const kinds = kind ? kind.split(",").map((k) => k.trim()).filter(Boolean) : [];
  const first = (await gql(CHANGES, { from, to, kinds })).changes;
  if (!first.totalCount) return empty(`Nothing changed between ${from} and ${to}${kind ? ` among ${kind}` : ""}.`);
  const list = h("ul", { class: "list changes-list" });
  const more = h("div");
  const append = (connection) => {
    list.append(...connection.edges.map(({ node }) => item(node)));
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
      append((await gql(CHANGES, { from, to, kinds, after })).changes);
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

function item(node) {
  const what = node.isRelation
    ? [h("a", { href: entityHref(node.relation.from) }, node.relation.from), ` ${node.kind} `, h("a", { href: entityHref(node.relation.to) }, node.relation.to)]
    : [h("a", { href: entityHref(node.key) }, node.key)];
  return h("li", {}, badge(node.change.toLowerCase(), TONES[node.change]), " ", what, h("span", { class: "muted" }, ` (${node.sources.join(", ")})`));
}
