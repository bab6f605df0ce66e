// Roster's GraphiQL start-up (its own file: the page's Content-Security-Policy allows no
// inline script). Everything it loads comes from this server; nothing from a CDN.
"use strict";

const HINT = `# Roster's admin API: every request needs
# an admin API token. In "Headers" below, set
#
#   {"Authorization": "Bearer <token>"}
#
# (\`roster token create-admin --login <you>\`
# prints one). Headers stay in this tab's
# sessionStorage only, never localStorage.
#
# Run with Ctrl-Enter or the play button:

{
  viewer {
    loginId
    roles
  }
}
`;

const url = new URL(window.location.href);
url.search = "";
url.hash = "";
const wsUrl = new URL(url);
wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

const fetcher = GraphiQL.createFetcher({ url: url.toString(), subscriptionUrl: wsUrl.toString() });

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: HINT,
    defaultHeaders: '{"Authorization": "Bearer "}',
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    storage: window.sessionStorage,
    inputValueDeprecation: true,
  }),
);
