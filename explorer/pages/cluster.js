// Cluster: what runs in one cluster (its workloads and their services),
// what happened there in the last hours, as the Kubernetes watch recorded
// it, and the cluster's entity.

import { gql } from "../api.js";
import { h, fill, load, section, empty, facts } from "../dom.js";
import { dataTable } from "../table.js";
import { entityHref } from "../router.js";
import { actionsPanel, WINDOWS } from "../actions.js";

const WORKLOADS = `query ClusterWorkloads($key: String!, $at: Date) {
  entity(key: $key, at: $at) {
    workloads: relations(direction: IN, kinds: ["runs_in"]) {
      from
      fromEntity { name namespace: attribute(path: "namespace") version: attribute(path: "version") services: relations(direction: IN, kinds: ["deploys"]) { from fromEntity { name } } }
    }
  }
}`;

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
      h("div", { class: "wide" }, section("What runs here", "workloads", workloadsPanel(key, day))),
      h("div", { class: "wide" }, section("What happened here", "actions", actionsPanel({ cluster: name, day, hours }))),
    ),
  );
}

/** The workloads that run in the cluster on the day, each with its service. */
function workloadsPanel(key, day) {
  const slot = h("div");
  load(slot, "the workloads", async () => {
    const data = await gql(WORKLOADS, { key, at: day });
    const rows = (data.entity?.workloads ?? []).map((r) => ({ key: r.from, ...r.fromEntity })).sort((a, b) => a.key.localeCompare(b.key));
    if (!rows.length) return empty(`No workload runs in ${key} on ${day}.`);
    const services = new Set(rows.flatMap((w) => (w.services ?? []).map((s) => s.from)));
    const serviceLinks = (w) => (w.services ?? []).map((s, i) => [i ? ", " : "", h("a", { href: entityHref(s.from) }, s.fromEntity?.name ?? s.from)]);
    return h(
      "div",
      {},
      h("p", {}, `${rows.length} workloads of ${services.size} services.`),
      dataTable(
        [
          { label: "Workload", value: (w) => w.key, render: (w) => h("a", { href: entityHref(w.key) }, w.name ?? w.key) },
          { label: "Namespace", value: (w) => w.namespace },
          { label: "Version", value: (w) => w.version },
          { label: "Service", value: (w) => (w.services ?? []).map((s) => s.from).join(" "), render: serviceLinks },
        ],
        rows,
        { caption: "Workloads running here", csvName: "cluster-workloads.csv" },
      ),
    );
  });
  return slot;
}
