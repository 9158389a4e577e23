// Copies the published builds of the explorer's libraries from node_modules
// (installed exactly as package-lock.json pins them: `npm ci`) into vendor/,
// which is committed and compiled into the spot binary. Run: npm run vendor.
import { copyFileSync, mkdirSync } from "node:fs";

const files = [
  ["cytoscape/dist/cytoscape.esm.min.mjs", "cytoscape.esm.min.mjs"],
  ["cytoscape/LICENSE", "cytoscape.LICENSE.txt"],
  ["uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["uplot/LICENSE", "uPlot.LICENSE.txt"],
  // GraphiQL at /graphql, served from the binary like the explorer: no CDN.
  ["graphiql/graphiql.min.js", "graphiql.min.js"],
  ["graphiql/graphiql.min.css", "graphiql.min.css"],
  ["graphiql/LICENSE", "graphiql.LICENSE.txt"],
  ["react/umd/react.production.min.js", "react.production.min.js"],
  ["react-dom/umd/react-dom.production.min.js", "react-dom.production.min.js"],
  ["react/LICENSE", "react.LICENSE.txt"],
];

mkdirSync(new URL("vendor/", import.meta.url), { recursive: true });
for (const [from, to] of files) {
  copyFileSync(new URL(`node_modules/${from}`, import.meta.url), new URL(`vendor/${to}`, import.meta.url));
  console.log(`vendor/${to} <- node_modules/${from}`);
}
