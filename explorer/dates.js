// Days are "YYYY-MM-DD" strings in UTC, as the API speaks them.

const DAY_MS = 86_400_000;

export function parseDay(day) {
  return /^\d{4}-\d{2}-\d{2}$/.test(day || "") && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
}

export function addDays(day, count) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Seconds since the epoch, as charts want them. */
export function seconds(day) {
  return Date.parse(day.length === 10 ? `${day}T00:00:00Z` : day) / 1000;
}

/** "2026-03-04 14:05 UTC" from an RFC 3339 time; the day alone at midnight. */
export function formatTime(at) {
  const time = new Date(at);
  const iso = time.toISOString();
  return iso.slice(11, 16) === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
