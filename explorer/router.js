// Hash routing: #/service/service%3Abilling?day=2026-03-03. The path names
// the page, the key is URI-encoded, and `day` (time travel) is carried by
// every link.

/** The current route: path segments and query parameters. */
export function current() {
  const hash = decodeHash(location.hash);
  const [path, query = ""] = hash.split("?");
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(query) };
}

function decodeHash(hash) {
  return hash.replace(/^#/, "") || "/";
}

/** A link to a page, keeping the day being viewed unless `params` sets it. */
export function href(path, params = {}) {
  const query = new URLSearchParams();
  const day = current().params.get("day");
  if (day) query.set("day", day);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") query.delete(name);
    else query.set(name, value);
  }
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

/** The page of an entity: services, teams, packages and clusters have their own. */
export function entityHref(key) {
  const kind = key.split(":", 1)[0];
  const page = ["service", "team", "package", "cluster"].includes(kind) ? kind : "entity";
  return href(`/${page}/${encodeURIComponent(key)}`);
}

/** Changes the current route's parameters without a new history entry or a re-render. */
export function replaceParams(params) {
  const { segments } = current();
  const path = `/${segments.map(encodeURIComponent).join("/")}`;
  history.replaceState(null, "", href(path, params));
}

/** Goes to a route (a new history entry; the hashchange renders it). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}
