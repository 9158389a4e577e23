// The full-page dependency graph of any entity: depth up to 10, direction
// and relation kinds in the URL, so a view can be shared.

import { h, fill } from "../dom.js";
import { href, replaceParams } from "../router.js";
import { graphExplorer, RELATION_KINDS } from "../graph.js";

export async function render(view, { day, segments, params }) {
  const key = segments[0];
  const depth = Math.min(10, Math.max(1, Number(params.get("depth")) || 2));
  const direction = ["OUT", "IN", "BOTH"].includes(params.get("direction")) ? params.get("direction") : "BOTH";
  const asked = (params.get("kinds") ?? "depends_on").split(",").filter((k) => RELATION_KINDS.includes(k));
  const kinds = asked.length ? asked : RELATION_KINDS;
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
