// GraphiQL at /graphql, from the vendored builds the binary serves (no CDN:
// it works without internet, and the page's Content-Security-Policy allows
// scripts from this server only). A server with tokens needs
// `{"Authorization": "Bearer <token>"}` in GraphiQL's Headers tab.
const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
