// "What changed nearby": a service's changes and those of the services one
// hop away through dependencies (changesAround, docs/changes.md) over the
// last 24 hours or 7 days, or the 6 hours up to a moment (a failed deploy's,
// an action's), as a timeline, oldest first.

import { gql } from "../api.js";
import { h, fill, load, empty, badge, text } from "../dom.js";
import { addDays, formatTime } from "../dates.js";
import { href } from "../router.js";

const AROUND = `query Around($service: String!, $from: DateTime!, $to: DateTime!) {
  changesAround(service: $service, from: $from, to: $to, depth: 1) {
    events { at event service hops path title kind significance suspicion change { moved { path before after } } }
  }
}`;

export const NEARBY_WINDOWS = [["24h", "24 hours", 24], ["7d", "7 days", 24 * 7]];

/** The link to what changed around `service` in the 6 hours up to `at`. */
export function aroundHref(service, at) {
  return href(`/service/${encodeURIComponent(service)}`, { around: at });
}

/**
 * The nearby panel of `service` as of the end of `day`, or of the moment
 * `around` (an RFC 3339 time) when given.
 */
export function nearbyPanel(service, day, around) {
  const body = h("div");
  const end = around ? new Date(around) : dayEnd(day);
  const show = (hours) => load(body, "what changed nearby", () => timeline(service, end, hours));
  const buttons = NEARBY_WINDOWS.map(([id, label, hours]) =>
    h("button", { type: "button", id: `nearby-${id}`, onclick: () => show(hours) }, `Last ${label}`),
  );
  const note = around ? h("p", { class: "muted", id: "nearby-moment" }, `The 6 hours up to ${formatTime(around)}.`) : "";
  show(around ? 6 : 24);
  return h("div", {}, h("p", { class: "controls" }, buttons), note, body);
}

function dayEnd(day) {
  const end = new Date(`${addDays(day, 1)}T00:00:00Z`);
  const now = new Date();
  return end < now ? end : now;
}

async function timeline(service, end, hours) {
  const from = new Date(end.getTime() - hours * 3600 * 1000).toISOString();
  const { events } = (await gql(AROUND, { service, from, to: end.toISOString() })).changesAround;
  if (!events.length) return empty(`Nothing changed around ${service.replace(/^service:/, "")} in these ${hours} hours.`);
  return h("ol", { class: "list nearby-timeline" }, events.map((event) => item(service, event)));
}

function item(service, event) {
  const via = event.hops ? h("span", { class: "muted" }, ` via ${event.path.map((k) => k.replace(/^service:/, "")).join(" → ")}`) : "";
  const tone = event.significance === "SIGNIFICANT" ? (event.suspicion >= 40 ? "bad" : "warn") : "";
  const when = event.event === "SNAPSHOT" ? `${event.at.slice(0, 10)} (daily snapshot)` : formatTime(event.at);
  const moved = (event.change?.moved || []).slice(0, 3).map((m) => h("li", { class: "muted" }, `${m.path}: ${text(m.before)} → ${text(m.after)}`));
  const around = event.event === "SNAPSHOT" ? "" : [" ", h("a", { href: aroundHref(service, event.at), class: "around-link" }, "around this")];
  return h(
    "li",
    { class: "nearby-event", "data-hops": event.hops },
    h("span", { class: "muted" }, when), " ",
    badge(event.kind.replace(/_/g, " "), tone), " ",
    h("strong", {}, event.title), via, around,
    moved.length ? h("ul", {}, moved) : "",
  );
}
