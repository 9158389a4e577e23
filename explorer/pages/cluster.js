// Cluster: what happened in one cluster in the last hours, as the
// Kubernetes watch recorded it, and the cluster's entity.

import { gql } from "../api.js";
import { h, fill, section, empty, facts } from "../dom.js";
import { entityHref } from "../router.js";
import { actionsPanel, WINDOWS } from "../actions.js";

const CLUSTER = `query Cluster($key: String!, $at: Date) {
  entity(key: $key, at: $at) { key name firstSeen lastSeen datacenter: attribute(path: "datacenter") version: attribute(path: "version") }
}`;

export async function render(view, { day, segments, params, stale }) {
  const key = segments[0].startsWith("cluster:") ? segments[0] : `cluster:${segments[0]}`;
  const name = key.replace(/^cluster:/, "");
  fill(view, h("h1", {}, `Cluster ${name}`), h("p", { class: "loading", role: "status" }, "Loading the cluster…"));
  const data = await gql(CLUSTER, { key, at: day });
  if (stale()) return;
  const cluster = data.entity;
  const hours = WINDOWS.some(([v]) => v === params.get("hours")) ? params.get("hours") : "6";
  fill(
    view,
    h("h1", {}, `Cluster ${name}`),
    h("p", { class: "subtitle" }, `${key} as of ${day}`),
    h(
      "div",
      { class: "grid" },
      section(
        "About",
        "about",
        cluster
          ? facts([
              ["Datacenter", cluster.datacenter],
              ["Kubernetes", cluster.version],
              ["First seen", cluster.firstSeen],
              ["Every fact", h("a", { href: entityHref(key).replace("/cluster/", "/entity/") }, key)],
            ])
          : empty(`No snapshot saw ${key} on ${day}; its actions may still be recorded.`),
      ),
      h("div", { class: "wide" }, section("What happened here", "actions", actionsPanel({ cluster: name, day, hours }))),
    ),
  );
}
