// Small DOM helpers: elements are built with h(), never from HTML strings,
// so data from the API can never inject markup.

/** h("a", {href: "#/"}, "text", child...) — attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function loading(what) {
  return h("p", { class: "loading", role: "status" }, `Loading ${what}…`);
}

/** An error that says what failed. */
export function failure(what, error) {
  return h("div", { class: "error", role: "alert" }, h("strong", {}, `Could not load ${what}. `), error.message || String(error));
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

/** A section with a heading; its body is filled later (loading state first). */
export function section(title, id, ...children) {
  const headingId = `${id}-title`;
  return h("section", { class: "card", id, "aria-labelledby": headingId }, h("h2", { id: headingId }, title), ...children);
}

/** Loads one part of a page into `slot`: loading state, then content or a clear error. */
export async function load(slot, what, work) {
  fill(slot, loading(what));
  try {
    const content = await work();
    fill(slot, content);
  } catch (error) {
    console.error(`loading ${what}:`, error);
    fill(slot, failure(what, error));
  }
}

/** A definition list of label/value pairs, skipping empty values. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== undefined && value !== null && value !== "").map(([label, value]) => [h("dt", {}, label), h("dd", {}, linkOrText(value))]),
  );
}

export function badge(text, tone = "") {
  return h("span", { class: `badge ${tone}` }, text);
}

/** A number with thousands separators; "—" when missing. */
export function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * A fact's value as a person reads it: an object's fields as a nested list
 * of label and value (`replicas: desired 7, ready 7`, never
 * `{"desired":7,"ready":7}`), a list of plain values joined, a URL a link.
 */
export function factValue(value) {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) {
    if (!value.length) return "none";
    if (value.every((v) => v === null || typeof v !== "object")) return value.map(text).join(", ");
    return h("ol", { class: "list fact-list" }, value.map((v) => h("li", {}, factValue(v))));
  }
  if (typeof value === "object") {
    const fields = Object.entries(value);
    return fields.length ? h("dl", { class: "facts nested" }, fields.map(([label, v]) => [h("dt", {}, label), h("dd", {}, factValue(v))])) : "none";
  }
  return linkOrText(String(value));
}

/** Any JSON value as short text. */
export function text(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * `url` when it is an absolute http(s) URL, else null. Links come from data
 * (a deploy's is whatever the orchestrator sent): a `javascript:` or `data:`
 * href would run on a click. The server refuses them too; this is the
 * second wall, for what an older store still holds.
 */
export function webUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/**
 * The one way the explorer links outside itself: an anchor to `url` showing
 * `label` (the URL itself by default) when `url` is http(s); anything else
 * (`javascript:`, `data:`, a relative path) stays text.
 */
export function safeLink(url, label = url, attrs = {}) {
  const safe = webUrl(url);
  return safe ? h("a", { ...attrs, href: safe, rel: "noreferrer", class: "external" }, label) : h("span", { class: "not-a-link" }, String(label ?? ""));
}

/** A value as shown: a string holding an http(s) URL is a link, the rest as it is. */
export function linkOrText(value) {
  return typeof value === "string" && webUrl(value) ? safeLink(value) : value;
}

/** An anchor to `url` showing `label` when `url` is http(s), else nothing. */
export function webLink(url, label) {
  return webUrl(url) ? safeLink(url, label) : "";
}

/** Links inline, each named by its kind (e.g. the logs of a moment), in a span of `className`; only http(s) ones. */
export function inlineLinks(links, className) {
  const shown = (links || []).filter((l) => webUrl(l.url));
  if (!shown.length) return "";
  return h("span", { class: className }, shown.map((l, i) => [i ? " · " : "", safeLink(l.url, l.kind, { title: l.title })]));
}
