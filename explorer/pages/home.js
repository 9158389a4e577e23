// Home: search as you type, the organisation's figures on the chosen day,
// and what changed in the week before it.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number } from "../dom.js";
import { addDays } from "../dates.js";
import { href, entityHref, replaceParams, go } from "../router.js";

const KINDS = [
  ["", "everything"],
  ["service", "services"],
  ["repo", "repositories"],
  ["team", "teams"],
  ["system", "systems"],
  ["domain", "domains"],
  ["api", "APIs"],
  ["resource", "resources"],
  ["component", "components (libraries…)"],
  ["user", "users"],
  ["package", "packages"],
  ["doc", "docs"],
];
const FIGURES = [
  ["service", "Services"],
  ["repo", "Repositories"],
  ["team", "Teams"],
  ["package", "Packages"],
  ["doc", "Docs"],
  ["workload", "Workloads running"],
  ["cluster", "Clusters"],
  ["declared_workload", "Workloads declared in repositories"],
  // Shown only when a catalog declares some (docs/backstage.md).
  ["system", "Systems", true],
  ["domain", "Domains", true],
  ["api", "APIs", true],
  ["resource", "Resources", true],
];

export async function render(view, { day, latest, params }) {
  const results = h("ul", { class: "results", id: "search-results", "aria-label": "Search results" });
  const input = h("input", { type: "search", id: "search", name: "q", value: params.get("q") || "", placeholder: "billing, team:payments, left-pad…", autocomplete: "off", "aria-controls": "search-results", autofocus: true });
  const kind = h("select", { id: "search-kind", name: "kind" }, KINDS.map(([value, label]) => h("option", { value, selected: (params.get("kind") || "") === value }, label)));
  const figures = h("div");
  const changes = h("div");
  fill(
    view,
    h("h1", {}, "Explore the organisation"),
    h("p", { class: "subtitle" }, `As it was on ${day}${day === latest ? " (the latest day)" : ""}.`),
    h(
      "div",
      { class: "grid home-grid" },
      section(
        "Search",
        "search-section",
        h("div", { class: "search-row" }, h("label", { for: "search" }, "Services, repositories, teams, systems, APIs, packages and docs by name, key, description or tag", input), h("label", { for: "search-kind" }, "Kind", kind)),
        results,
      ),
      section("The organisation", "figures-section", figures),
      h("div", { class: "wide" }, section("What changed in the week before", "changes-section", changes)),
    ),
  );
  wireSearch(input, kind, results, day);
  await Promise.all([load(figures, "the figures", () => figuresOf(day)), load(changes, "recent changes", () => recentChanges(day))]);
}

function wireSearch(input, kind, results, day) {
  let timer = null;
  let asked = 0;
  const search = async () => {
    const text = input.value.trim();
    replaceParams({ q: text || null, kind: kind.value || null });
    const ticket = ++asked;
    if (!text) {
      fill(results);
      return;
    }
    fill(results, h("li", { class: "loading", role: "status" }, "Searching…"));
    try {
      const data = await gql(
        `query Search($text: String!, $kinds: [String!]!, $at: Date) { search(text: $text, kinds: $kinds, at: $at, first: 20) { key kind name } }`,
        { text, kinds: kind.value ? [kind.value] : [], at: day },
      );
      if (ticket !== asked) return;
      const found = data.search;
      fill(
        results,
        found.length
          ? found.map((e) => h("li", {}, h("a", { href: entityHref(e.key) }, h("strong", {}, e.name), badge(e.kind), h("span", { class: "key" }, e.key))))
          : h("li", { class: "empty" }, `Nothing alive on ${day} matches “${text}”.`),
      );
    } catch (error) {
      if (ticket === asked) fill(results, h("li", { class: "error", role: "alert" }, `Search failed: ${error.message}`));
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  kind.addEventListener("change", search);
  // Arrow keys walk from the box through the results; Escape clears.
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      results.querySelector("a")?.focus();
      event.preventDefault();
    } else if (event.key === "Enter") {
      const first = results.querySelector("a");
      if (first) go(first.getAttribute("href"));
      event.preventDefault();
    } else if (event.key === "Escape") {
      input.value = "";
      search();
    }
  });
  results.addEventListener("keydown", (event) => {
    const links = [...results.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < links.length - 1) links[at + 1].focus();
    else if (event.key === "ArrowUp") (at > 0 ? links[at - 1] : input).focus();
    else return;
    event.preventDefault();
  });
  if (input.value) search();
}

async function figuresOf(day) {
  const data = await gql(
    `query Figures($at: Date!) {
      figures(at: $at) { kind count }
      coverage: trend(kind: "sonar_project", attribute: "coverage", aggregate: AVG, from: $at, to: $at, bucket: DAY) { value count }
      failing: trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, equals: "ERROR", from: $at, to: $at, bucket: DAY) { value }
      versionDrift(at: $at, first: 500) { distinct }
    }`,
    { at: day },
  );
  const counts = new Map(data.figures.map((f) => [f.kind, f.count]));
  if (!data.figures.length) return empty(`No source saw anything on ${day}.`);
  const figure = (label, value, link) => h("div", { class: "figure" }, h("dt", {}, label), h("dd", {}, link ? h("a", { href: link }, value) : value));
  const coverage = data.coverage[0];
  return h(
    "dl",
    { class: "figures", "aria-label": `Figures on ${day}` },
    FIGURES.filter(([kind, , optional]) => !optional || counts.get(kind)).map(([kind, label]) => figure(label, number(counts.get(kind) || 0))),
    coverage && coverage.count ? figure("Average coverage", `${number(coverage.value, 1)} %`, href("/reports", { report: "coverage" })) : null,
    data.failing[0] ? figure("Failing quality gates", number(data.failing[0].value), href("/reports", { report: "quality-gates" })) : null,
    // Drift is what runs in clusters; declared versions never count.
    figure("Services running mixed versions", number(data.versionDrift.length)),
  );
}

async function recentChanges(day) {
  const from = addDays(day, -7);
  const data = await gql(
    `query Recent($from: Date!, $to: Date!) {
      all: changes(from: $from, to: $to, first: 1) { totalCount summary { kind change count } }
      notable: changes(from: $from, to: $to, first: 12, kinds: ["service", "team", "owns", "depends_on"]) {
        edges { node { change kind key isRelation relation { from to } } }
      }
    }`,
    { from, to: day },
  );
  const changes = { ...data.all, edges: data.notable.edges };
  if (!changes.totalCount) return empty(`Nothing changed between ${from} and ${day}.`);
  const tone = { ADDED: "ok", REMOVED: "bad", CHANGED: "" };
  return h(
    "div",
    {},
    h("p", {}, `${number(changes.totalCount)} changes between ${from} and ${day}: `, changes.summary.map((s) => [badge(`${s.count} ${s.kind} ${s.change.toLowerCase()}`, tone[s.change]), " "])),
    h("h3", {}, "Services, teams, ownership and dependencies"),
    h(
      "ul",
      { class: "list" },
      changes.edges.map(({ node }) =>
        h("li", {}, badge(node.change.toLowerCase(), tone[node.change]), " ", node.isRelation ? [h("a", { href: entityHref(node.relation.from) }, node.relation.from), ` ${node.kind} `, h("a", { href: entityHref(node.relation.to) }, node.relation.to)] : h("a", { href: entityHref(node.key) }, node.key)),
      ),
    ),
    h("p", {}, h("a", { href: href("/changes", { from, to: day }) }, "All changes in that week →")),
    changes.edges.length ? null : empty("No service, team, ownership or dependency changed."),
  );
}
