// Catalog hygiene: what a platform team cleans up so the catalog can be
// trusted, as of the chosen day — identity conflicts, what no service
// claims, services nobody owns, services found only by a weak signal,
// manifests that do not parse, catalog entities left out and owners that
// resolve to nothing — with the counts over the weeks before it.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number } from "../dom.js";
import { addDays, seconds } from "../dates.js";
import { entityHref } from "../router.js";
import { timeChart } from "../charts.js";
import { dataTable } from "../table.js";

/** Findings listed per category; the counts count them all. */
const LISTED = 100;
/** Days of trend before the day shown. */
const TREND_DAYS = 56;

const CATEGORIES = [
  { id: "identityConflicts", title: "Identity conflicts", wide: true, what: "services that lost a name claim to another" },
  { id: "unclaimedWorkloads", title: "Unclaimed workloads", wide: true, what: "running or declared-for-deployment workloads no built service deploys", of: "workloads" },
  { id: "unclaimedSonarProjects", title: "Unclaimed SonarQube projects", what: "projects that measure no service", of: "sonarProjects" },
  { id: "unclaimedConsulServices", title: "Unclaimed Consul services", what: "registrations no repository builds" },
  { id: "unownedServices", title: "Services with no owner", what: "no team owns them", of: "services" },
  { id: "weaklyFoundServices", title: "Found only by a weak signal", what: "nothing deployable, only e.g. a topic", of: "services" },
  { id: "unparsedFiles", title: "Unparsed files", what: "manifests read as they last parsed" },
  { id: "invalidCatalogEntities", title: "Invalid catalog entities", wide: true, what: "catalog entities, references and Locations left out" },
  { id: "unresolvedOwners", title: "Owners that resolve to nothing", what: "named by a catalog, declared by no Group or User" },
];

const UNCLAIMED_REASONS = {
  NO_SERVICE: "no service deploys it",
  SERVICE_NOT_FOUND: "deployed by a service that does not exist",
  SERVICE_NOT_BUILT: "deployed by a service no repository builds",
};

const COUNTS = `counts { ${CATEGORIES.map((c) => c.id).join(" ")} services workloads sonarProjects }`;

export async function render(view, { day, latest }) {
  const figures = h("div");
  const trend = h("div");
  const lists = h("div", { class: "grid roomy" });
  fill(
    view,
    h("h1", {}, "Catalog hygiene"),
    h("p", { class: "subtitle" }, `As it was on ${day}${day === latest ? " (the latest day)" : ""}: what no one claims, owns or can tell apart.`),
    h("div", { class: "grid" }, h("div", { class: "wide" }, section("Findings", "hygiene-figures", figures)), h("div", { class: "wide" }, section(`Over the ${TREND_DAYS / 7} weeks before`, "hygiene-trend", trend))),
    lists,
  );
  await Promise.all([load(figures, "the hygiene findings", () => findings(day, lists)), load(trend, "the hygiene trend", () => trendOf(day))]);
}

async function findings(day, lists) {
  const link = (key, name) => h("a", { href: entityHref(key) }, name || key);
  const data = await gql(
    `query Hygiene($at: Date!, $first: Int!) {
      hygiene(at: $at) {
        ${COUNTS}
        identityConflicts(first: $first) { service { key name } name heldBy holderRepo holderPath repo path reason }
        unclaimedWorkloads(first: $first) { workload { key name } reason deployedBy declared }
        unclaimedSonarProjects(first: $first) { project { key name } repositories }
        unclaimedConsulServices(first: $first) { key name }
        unownedServices(first: $first) { key name }
        weaklyFoundServices(first: $first) { key name foundBy: attribute(path: "found_by", source: "github") }
        unparsedFiles(first: $first) { repository path since }
        invalidCatalogEntities(first: $first) { repository path line problem }
        unresolvedOwners(first: $first) { owner owns }
      }
    }`,
    { at: day, first: LISTED },
  );
  const found = data.hygiene;
  const where = (repo, path) => (repo ? [link(repo, repo.replace(/^repo:/, "")), path && path !== "/" ? ` ${path}` : ""] : "—");
  const keys = (list) => (list.length ? list.flatMap((key, i) => [i ? ", " : "", link(key)]) : "—");
  const columns = {
    identityConflicts: [
      { label: "Service", value: (c) => c.service.key, render: (c) => link(c.service.key, c.service.name) },
      { label: "Name claimed", value: (c) => c.name },
      { label: "Held by", value: (c) => c.heldBy, render: (c) => (c.heldBy ? link(c.heldBy) : "—") },
      { label: "Holder's repository", value: (c) => `${c.holderRepo ?? ""} ${c.holderPath ?? ""}`.trim(), render: (c) => where(c.holderRepo, c.holderPath) },
      { label: "Its repository", value: (c) => `${c.repo ?? ""} ${c.path ?? ""}`.trim(), render: (c) => where(c.repo, c.path) },
      { label: "Why the holder keeps it", value: (c) => c.reason },
    ],
    unclaimedWorkloads: [
      { label: "Workload", value: (w) => w.workload.key, render: (w) => link(w.workload.key) },
      { label: "Seen", value: (w) => (w.declared ? "declared" : "running"), render: (w) => badge(w.declared ? "declared in a repository" : "running") },
      { label: "Why", value: (w) => w.reason, render: (w) => UNCLAIMED_REASONS[w.reason] || w.reason },
      { label: "Deployed by", value: (w) => w.deployedBy.join(" "), render: (w) => keys(w.deployedBy) },
    ],
    unclaimedSonarProjects: [
      { label: "Project", value: (p) => p.project.key, render: (p) => link(p.project.key, p.project.name) },
      { label: "Measures instead", value: (p) => p.repositories.join(" "), render: (p) => (p.repositories.length ? keys(p.repositories) : "nothing") },
    ],
    unclaimedConsulServices: [{ label: "Service", value: (s) => s.key, render: (s) => link(s.key, s.name) }],
    unownedServices: [{ label: "Service", value: (s) => s.key, render: (s) => link(s.key, s.name) }],
    weaklyFoundServices: [
      { label: "Service", value: (s) => s.key, render: (s) => link(s.key, s.name) },
      { label: "Found by", value: (s) => (s.foundBy || []).join(" ") },
    ],
    unparsedFiles: [
      { label: "Repository", value: (f) => f.repository, render: (f) => link(f.repository, f.repository.replace(/^repo:/, "")) },
      { label: "File", value: (f) => f.path },
      { label: "Does not parse since", value: (f) => f.since },
    ],
    invalidCatalogEntities: [
      { label: "Repository", value: (f) => f.repository, render: (f) => link(f.repository, f.repository.replace(/^repo:/, "")) },
      { label: "File", value: (f) => (f.line ? `${f.path}:${f.line}` : f.path) },
      { label: "Problem", value: (f) => f.problem },
    ],
    unresolvedOwners: [
      { label: "Owner", value: (o) => o.owner, render: (o) => link(o.owner) },
      { label: "Owns", value: (o) => o.owns.join(" "), render: (o) => keys(o.owns) },
    ],
  };
  fill(
    lists,
    CATEGORIES.map((category) => {
      const rows = found[category.id];
      const count = found.counts[category.id];
      const body = rows.length
        ? [
            count > rows.length ? h("p", { class: "muted" }, `The first ${rows.length} of ${number(count)}, by key.`) : null,
            dataTable(columns[category.id], rows, { caption: category.what, csvName: `hygiene-${category.id}-${day}.csv` }),
          ]
        : empty(`None on ${day}.`);
      const listed = section(`${category.title} (${number(count)})`, `hygiene-${category.id}`, body);
      return category.wide ? h("div", { class: "wide" }, listed) : listed;
    }),
  );
  return h(
    "dl",
    { class: "figures", "aria-label": `Hygiene findings on ${day}` },
    CATEGORIES.map((category) => {
      const count = found.counts[category.id];
      const out = category.of ? h("span", { class: "muted" }, ` of ${number(found.counts[category.of])}`) : null;
      return h(
        "div",
        { class: "figure", "data-category": category.id },
        h("dt", {}, category.title),
        h("dd", {}, h("a", { href: `#hygiene-${category.id}`, onclick: jumpTo(`hygiene-${category.id}`) }, number(count)), out, " ", count ? null : badge("clean", "ok"), h("p", { class: "note" }, category.what)),
      );
    }),
  );
}

/** In-page links: the hash is the router's, so scroll instead of navigating. */
function jumpTo(id) {
  return (event) => {
    event.preventDefault();
    document.getElementById(id)?.scrollIntoView({ behavior: "smooth" });
  };
}

async function trendOf(day) {
  const data = await gql(`query HygieneTrend($from: Date!, $to: Date!) { hygieneTrend(from: $from, to: $to, bucket: DAY) { measuredOn ${COUNTS} } }`, {
    from: addDays(day, -TREND_DAYS),
    to: day,
  });
  // Days before any service was seen are no news: the trend starts at the first.
  const first = data.hygieneTrend.findIndex((p) => p.counts.services > 0);
  if (first < 0) return empty(`No services in the ${TREND_DAYS} days before ${day}.`);
  const points = data.hygieneTrend.slice(first);
  const x = points.map((p) => seconds(p.measuredOn));
  const series = (ids) => CATEGORIES.filter((c) => ids.includes(c.id)).map((c) => ({ label: c.title, values: points.map((p) => p.counts[c.id]), step: true }));
  return h(
    "div",
    { class: "grid" },
    timeChart({ title: "Identity and ownership", x, series: series(["identityConflicts", "unownedServices", "weaklyFoundServices"]) }),
    timeChart({ title: "Workloads and registrations, unclaimed", x, series: series(["unclaimedWorkloads", "unclaimedConsulServices"]) }),
    timeChart({ title: "SonarQube projects no service claims", x, series: series(["unclaimedSonarProjects"]) }),
  );
}
