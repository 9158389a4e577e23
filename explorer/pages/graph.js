// The full-page dependency graph of any entity: depth up to 10, direction
// and relation kinds in the URL, so a view can be shared.

import { h, fill, failure } from "../dom.js";
import { href, replaceParams } from "../router.js";
import { graphExplorer, RELATION_KINDS } from "../graph.js";

const DIRECTIONS = ["OUT", "IN", "BOTH"];

export async function render(view, { day, segments, params }) {
  const key = segments[0];
  const depth = Math.min(10, Math.max(1, Number(params.get("depth")) || 2));
  // The address is written by people too: `direction=in` is IN, and a
  // direction or kind that is none is said, not silently replaced.
  const direction = (params.get("direction") || "BOTH").toUpperCase();
  const written = (params.get("kinds") ?? "depends_on").split(",").filter(Boolean);
  const unknown = written.filter((k) => !RELATION_KINDS.includes(k));
  if (!DIRECTIONS.includes(direction) || unknown.length) {
    const wrong = DIRECTIONS.includes(direction)
      ? `${unknown.map((k) => `'${k}'`).join(", ")} ${unknown.length > 1 ? "are not relation kinds" : "is not a relation kind"}: use ${RELATION_KINDS.join(", ")}`
      : `'${params.get("direction")}' is not a direction: use in, out or both`;
    fill(view, h("h1", {}, `Graph of ${key}`), failure("the graph", new Error(`${wrong}.`)));
    return;
  }
  const kinds = written.length ? written : RELATION_KINDS;
  fill(
    view,
    h("h1", {}, `Graph of ${key}`),
    h("p", { class: "subtitle" }, `As of ${day}. `, h("a", { href: href(`/${key.startsWith("service:") ? "service" : "entity"}/${encodeURIComponent(key)}`) }, "Back to its page")),
    h(
      "section",
      { class: "card", "aria-label": "Dependency graph" },
      graphExplorer({
        key,
        day,
        options: { depth, direction, kinds },
        onChange: (o) => replaceParams({ depth: o.depth, direction: o.direction, kinds: o.kinds.join(",") }),
      }),
    ),
  );
}
