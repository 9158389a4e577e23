// The explorer's shell: the global date control (time travel), the
// navigation, and the router that renders one page into <main>.

import { gql } from "./api.js";
import { h, fill, failure } from "./dom.js";
import { parseDay } from "./dates.js";
import { current, href, go } from "./router.js";
import * as home from "./pages/home.js";
import * as service from "./pages/service.js";
import * as entity from "./pages/entity.js";
import * as team from "./pages/team.js";
import * as pkg from "./pages/package.js";
import * as graph from "./pages/graph.js";
import * as reports from "./pages/reports.js";
import * as delivery from "./pages/delivery.js";
import * as scorecards from "./pages/scorecards.js";
import * as changes from "./pages/changes.js";
import * as hygiene from "./pages/hygiene.js";
import * as cluster from "./pages/cluster.js";

const pages = {
  "": home,
  service,
  cluster,
  entity,
  team,
  package: pkg,
  graph,
  reports,
  delivery,
  scorecards,
  changes,
  hygiene,
};

const main = document.getElementById("main");
const dayInput = document.getElementById("day");
let latest = null;
let rendering = 0;

async function start() {
  try {
    latest = (await gql("{ latestDay }")).latestDay;
  } catch (error) {
    fill(main, failure("the latest day", error));
    return;
  }
  if (!latest) {
    fill(main, h("div", { class: "empty" }, h("h1", {}, "No data yet"), h("p", {}, "SPoT has no committed snapshot: run a collection (`spot collect`) or `spot demo`, then reload.")));
    return;
  }
  dayInput.max = latest;
  dayInput.addEventListener("change", () => {
    if (parseDay(dayInput.value)) go(withParams({ day: dayInput.value === latest ? null : dayInput.value }));
  });
  document.getElementById("latest").addEventListener("click", () => go(withParams({ day: null })));
  document.getElementById("time-travel").addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("hashchange", render);
  render();
}

/** The current route with some parameters changed. */
function withParams(params) {
  const { segments } = current();
  return href(`/${segments.map(encodeURIComponent).join("/")}`, params);
}

async function render() {
  const ticket = ++rendering;
  const route = current();
  const day = route.params.get("day") || latest;
  dayInput.value = day;
  updateNavigation();
  const page = pages[route.segments[0] || ""];
  const view = h("div", { class: "page" });
  fill(main, view);
  const started = performance.now();
  if (!parseDay(day)) {
    fill(view, failure("this page", new Error(`'${day}' is not a day: use YYYY-MM-DD`)));
  } else if (!page) {
    fill(view, h("h1", {}, "Not found"), h("p", {}, `There is no page '${location.hash}'. `, h("a", { href: href("/") }, "Go home")));
  } else {
    const context = { day, latest, segments: route.segments.slice(1), params: route.params, stale: () => ticket !== rendering };
    try {
      await page.render(view, context);
    } catch (error) {
      console.error(error);
      if (ticket === rendering) fill(view, failure("this page", error));
    }
  }
  if (ticket === rendering) {
    // The time to a complete page, read by the browser tests (docs/benchmarks.md).
    performance.mark("spot:rendered", { detail: { page: route.segments[0] || "home", ms: performance.now() - started } });
    document.body.dataset.rendered = String(ticket);
  }
}

/** Navigation links keep the day being viewed; the current page is marked. */
function updateNavigation() {
  const page = current().segments[0] || "";
  for (const link of document.querySelectorAll("[data-nav]")) {
    const path = link.dataset.nav;
    link.href = href(path, {});
    if (path === `/${page}` || (path === "/" && page === "")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

start();
