// Tables with a CSV export (a client-side download; nothing leaves the browser).

import { h, linkOrText } from "./dom.js";

/**
 * columns: [{ label, value: row => any, numeric?, render?: row => Node|string, csvLabel? }]
 * The CSV holds the raw values; the table shows render() when given. A
 * column shown in readable units ("2.0 h") and exported raw (seconds)
 * names its unit in `csvLabel` only: the table's header says no "(s)"
 * its cells contradict.
 */
export function dataTable(columns, rows, { caption, csvName, limit = 1000 } = {}) {
  const shown = rows.slice(0, limit);
  const table = h(
    "table",
    {},
    caption && h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : "" }, c.label)))),
    h(
      "tbody",
      {},
      shown.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.numeric ? "num" : "" }, cell(c, row))))),
    ),
  );
  const note = rows.length > shown.length ? `Showing ${shown.length} of ${rows.length} rows; the CSV has all of them.` : `${rows.length} rows`;
  const actions = h(
    "div",
    { class: "table-actions" },
    h("span", { class: "muted" }, note),
    csvName && h("button", { type: "button", class: "export-csv", onclick: () => downloadCsv(csvName, columns, rows) }, "Export CSV"),
  );
  return h("div", { class: "data-table" }, actions, h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || "table" }, table));
}

function cell(column, row) {
  if (column.render) return column.render(row);
  const value = column.value(row);
  if (value === null || value === undefined) return "—";
  if (column.numeric && typeof value === "number") return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
  return linkOrText(String(value));
}

/** RFC 4180: quote fields with commas, quotes or line breaks. */
export function toCsv(columns, rows) {
  const field = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns.map((c) => field(c.csvLabel ?? c.label)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => field(c.value(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function downloadCsv(name, columns, rows) {
  const blob = new Blob([toCsv(columns, rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
