// Roster's GraphiQL start-up (its own file: the page's Content-Security-Policy allows no
// inline script). Everything it loads comes from this server; nothing from a CDN.
"use strict";

const HINT = `# Roster's admin API. Every request needs an admin API token:
# open "Headers" below and set
#
#     {"Authorization": "Bearer <admin API token>"}
#
# (\`roster token create-admin --login <you>\` prints one). The headers are kept
# in this tab's sessionStorage only, never in localStorage: closing the tab forgets them.
#
# Run a query with Ctrl-Enter or the play button, for example:

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
