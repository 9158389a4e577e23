// Version arithmetic for "how far behind": semantic versions when both
// parse (a leading "v" and pre-release suffixes tolerated), else unknown.

export function semver(version) {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(String(version || "").trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2] || 0), Number(match[3] || 0)];
}

/** "up to date", "patch", "minor", "major", "ahead" or "unknown". */
export function behind(used, latest) {
  const a = semver(used);
  const b = semver(latest);
  if (!a || !b) return "unknown";
  for (const [index, level] of ["major", "minor", "patch"].entries()) {
    if (a[index] < b[index]) return level;
    if (a[index] > b[index]) return "ahead";
  }
  return "up to date";
}

export function compare(a, b) {
  const x = semver(a);
  const y = semver(b);
  if (!x || !y) return String(a).localeCompare(String(b));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}
