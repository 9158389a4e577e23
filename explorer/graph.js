// The dependency graph: a traversal from one entity (`dependencies`), drawn
// with Cytoscape.js (loaded on first use) in rings by depth, with a depth
// control, direction and relation-kind filters, and click-through to every
// node. An ordered list beside it gives the same nodes to keyboards and
// screen readers.

import { gql } from "./api.js";
import { h, fill, loading, failure, badge } from "./dom.js";
import { entityHref, go } from "./router.js";
import { PALETTE } from "./charts.js";

export const RELATION_KINDS = ["depends_on", "owns", "builds", "deploys", "runs_in", "uses", "publishes", "documents", "measures", "part_of", "provides_api", "consumes_api", "member_of", "child_of"];
const KIND_COLOURS = { service: "#1f5fa8", repo: "#2e933c", team: "#d1495b", package: "#edae49", workload: "#00798c", cluster: "#7b4fa0", doc: "#8c564b", sonar_project: "#7f7f7f", system: "#3d5a80", domain: "#5c4d7d", api: "#c06c00", resource: "#b5651d", component: "#6c757d", user: "#b5446e" };
/** Beyond this many nodes the list stays but the drawing is refused: it would not help anyone. */
const MAX_DRAWN = 2000;

const QUERY = `query Graph($key: String!, $at: Date, $depth: Int!, $direction: Direction!, $kinds: [String!]!) {
  dependencies(key: $key, at: $at, depth: $depth, direction: $direction, kinds: $kinds) {
    nodes { depth entity { key kind name } }
    edges { kind from to source }
  }
}`;

let cytoscapeModule = null;
async function cytoscape() {
  cytoscapeModule ??= import("./vendor/cytoscape.esm.min.mjs").then((m) => m.default);
  return cytoscapeModule;
}

/** The graph with its controls. `options`: depth, direction, kinds; `onChange(options)` when the user changes them. */
export function graphExplorer({ key, day, options, onChange, small = false }) {
  const state = { depth: 1, direction: "BOTH", kinds: ["depends_on"], ...options };
  const body = h("div", { class: "graph-body" });
  const controls = graphControls(state, () => {
    onChange?.({ ...state });
    draw(body, key, day, state, small);
  });
  draw(body, key, day, state, small);
  return h("div", { class: "graph-explorer" }, controls, body);
}

function graphControls(state, changed) {
  const depth = h(
    "select",
    { id: "graph-depth", onchange: (e) => ((state.depth = Number(e.target.value)), changed()) },
    Array.from({ length: 10 }, (_, i) => h("option", { value: i + 1, selected: state.depth === i + 1 }, String(i + 1))),
  );
  const direction = h(
    "select",
    { id: "graph-direction", onchange: (e) => ((state.direction = e.target.value), changed()) },
    [["BOTH", "both ways"], ["OUT", "what it needs (out)"], ["IN", "who needs it (in)"]].map(([value, label]) => h("option", { value, selected: state.direction === value }, label)),
  );
  const kinds = h(
    "fieldset",
    {},
    h("legend", {}, "Relation kinds"),
    RELATION_KINDS.map((kind) =>
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          name: "kind",
          value: kind,
          checked: state.kinds.includes(kind),
          onchange: (e) => {
            state.kinds = e.target.checked ? [...state.kinds, kind] : state.kinds.filter((k) => k !== kind);
            changed();
          },
        }),
        kind,
      ),
    ),
  );
  return h("div", { class: "controls" }, h("label", { for: "graph-depth" }, "Depth", depth), h("label", { for: "graph-direction" }, "Direction", direction), kinds);
}

async function draw(body, key, day, state, small) {
  const ticket = (body.dataset.ticket = String(Number(body.dataset.ticket || 0) + 1));
  fill(body, loading("the graph"));
  if (!state.kinds.length) {
    fill(body, h("p", { class: "empty" }, "Choose at least one relation kind."));
    return;
  }
  let graph;
  try {
    const started = performance.now();
    graph = (await gql(QUERY, { key, at: day, depth: state.depth, direction: state.direction, kinds: state.kinds })).dependencies;
    performance.mark("spot:graph-data", { detail: { ms: performance.now() - started } });
  } catch (error) {
    if (body.dataset.ticket === ticket) fill(body, failure("the graph", error));
    return;
  }
  if (body.dataset.ticket !== ticket) return;
  const edges = mergeEdges(graph.edges);
  const canvas = h("div", { class: small ? "graph small" : "graph", role: "img", "aria-label": `Graph of ${graph.nodes.length} entities around ${key}; the list beside it has the same nodes.` });
  const side = sidePanel(graph.nodes, edges, key);
  const summary = h("p", { class: "muted graph-summary" }, `${graph.nodes.length} nodes, ${edges.length} edges. Click a node to select it, double-click (or use the list) to open it.`);
  fill(body, summary, legend(graph.nodes), h("div", { class: "graph-layout" }, canvas, side));
  if (graph.nodes.length > MAX_DRAWN) {
    fill(canvas, h("p", { class: "empty" }, `${graph.nodes.length} nodes are too many to draw usefully: lower the depth or the relation kinds. The list has them all.`));
    return;
  }
  try {
    await render(canvas, graph.nodes, edges, key, side);
  } catch (error) {
    fill(canvas, failure("the graph drawing", error));
  }
}

/** One edge per (from, kind, to), with every source that reports it. */
function mergeEdges(edges) {
  const merged = new Map();
  for (const edge of edges) {
    const id = `${edge.from}|${edge.kind}|${edge.to}`;
    const seen = merged.get(id);
    if (seen) seen.sources.add(edge.source);
    else merged.set(id, { id, kind: edge.kind, from: edge.from, to: edge.to, sources: new Set([edge.source]) });
  }
  return [...merged.values()];
}

function legend(nodes) {
  const kinds = [...new Set(nodes.map((n) => n.entity.kind))].sort();
  return h("div", { class: "legend", "aria-hidden": "true" }, kinds.map((kind) => h("span", { style: `--dot:${colour(kind)}` }, kind)));
}

function colour(kind) {
  return KIND_COLOURS[kind] || PALETTE[kind.length % PALETTE.length];
}

function sidePanel(nodes, edges, root) {
  const details = h("div", { class: "graph-selection", "aria-live": "polite" }, h("p", { class: "muted" }, "Select a node to see its relations here."));
  const byDepth = new Map();
  for (const node of nodes) {
    if (!byDepth.has(node.depth)) byDepth.set(node.depth, []);
    byDepth.get(node.depth).push(node.entity);
  }
  const lists = [...byDepth.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([depth, entities]) => [
      h("h3", {}, depth === 0 ? "Start" : `Depth ${depth} (${entities.length})`),
      h("ol", { class: "graph-nodes" }, entities.map((e) => h("li", {}, h("a", { href: entityHref(e.key), "data-key": e.key }, e.name), " ", badge(e.kind)))),
    ]);
  const panel = h("aside", { class: "graph-side card", "aria-label": "Nodes of the graph" }, details, lists);
  panel.showSelection = (key) => {
    const node = nodes.find((n) => n.entity.key === key);
    if (!node) return;
    const out = edges.filter((e) => e.from === key);
    const into = edges.filter((e) => e.to === key);
    fill(
      details,
      h("h3", {}, node.entity.name, " ", badge(node.entity.kind)),
      h("p", {}, h("a", { href: entityHref(key) }, `Open ${key}`), key === root ? " (start)" : ` · depth ${node.depth}`),
      h("p", { class: "muted" }, `${out.length} out, ${into.length} in: `, [...new Set([...out, ...into].map((e) => e.kind))].join(", ")),
    );
  };
  return panel;
}

/** Beyond this many nodes, only the start and its neighbours are labelled until hovered or selected: labels would collide. */
const LABELLED = 40;

async function render(canvas, nodes, edges, root, side) {
  const started = performance.now();
  // Each ring in kind then name order: one kind's nodes sit together.
  const ordered = [...nodes].sort((a, b) => a.depth - b.depth || a.entity.kind.localeCompare(b.entity.kind) || a.entity.name.localeCompare(b.entity.name));
  const quiet = nodes.length > LABELLED;
  const cy = (await cytoscape())({
    container: canvas,
    elements: [
      ...ordered.map((n) => ({ data: { id: n.entity.key, label: n.entity.name, kind: n.entity.kind, depth: n.depth, colour: colour(n.entity.kind) }, classes: [n.entity.key === root ? "root" : "", quiet && n.depth > 1 ? "quiet" : ""].join(" ") })),
      ...edges.map((e) => ({ data: { id: e.id, source: e.from, target: e.to, kind: e.kind } })),
    ],
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 10, "min-zoomed-font-size": 7, color: "#1c2430", "text-valign": "bottom", "text-margin-y": 3, width: 14, height: 14, "text-background-color": "#fbfcfe", "text-background-opacity": 0.85, "text-background-padding": 1 } },
      { selector: "node.quiet", style: { label: "" } },
      { selector: "node.quiet.hover, node.quiet:selected", style: { label: "data(label)", "z-index": 10 } },
      { selector: "node.root", style: { width: 26, height: 26, "border-width": 3, "border-color": "#14314f", "font-weight": "bold" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#f0b400" } },
      { selector: "edge", style: { width: 1, "line-color": "#aab4c2", "target-arrow-color": "#aab4c2", "target-arrow-shape": "triangle", "arrow-scale": 0.7, "curve-style": "haystack" } },
      { selector: "edge[kind != 'depends_on']", style: { "line-style": "dashed" } },
    ],
    layout: {
      name: "concentric",
      concentric: (node) => 100 - node.data("depth"),
      levelWidth: () => 1,
      // Room for a label beside each node while all are labelled.
      minNodeSpacing: quiet ? 12 : 56,
      animate: false,
    },
    // Big graphs: draw a texture while panning and zooming, so they stay responsive.
    textureOnViewport: nodes.length > 150,
    hideEdgesOnViewport: nodes.length > 600,
    pixelRatio: nodes.length > 300 ? 1 : "auto",
  });
  // Haystack edges have no arrows: straight ones do, for small graphs.
  if (edges.length <= 400) cy.edges().style({ "curve-style": "straight" });
  cy.on("mouseover", "node", (event) => event.target.addClass("hover"));
  cy.on("mouseout", "node", (event) => event.target.removeClass("hover"));
  cy.on("tap", "node", (event) => side.showSelection(event.target.id()));
  cy.on("dbltap", "node", (event) => go(entityHref(event.target.id())));
  canvas.dataset.nodes = String(nodes.length);
  performance.mark("spot:graph-drawn", { detail: { nodes: nodes.length, edges: edges.length, ms: performance.now() - started } });
}
