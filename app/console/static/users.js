// Users: filter, a Relay-connection page, live refresh on SCIM user events.

import { gql } from "./api.js";
import { badge, field, fill, h, link, notice as say, providerBadge, scroller, select, statusBadge, table,
  when } from "./dom.js";
import { restore } from "./user_actions.js";

export const PROVIDERS = ["LOCAL", "OKTA", "ENTRA_ID", "ONELOGIN", "JUMPCLOUD", "GOOGLE", "PING",
  "SAML", "OIDC", "LDAP", "CUSTOM"];
const PAGE = 20;

const QUERY = `query Users($filter: UserFilter, $first: Int, $after: String, $last: Int, $before: String) {
  users(filter: $filter, orderBy: {field: CREATED_AT, direction: DESC},
        first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id loginId displayName firstName lastName email authProvider status updatedAt deletedAt }
  }
}`;

export const userLink = (id) => `#/users/${encodeURIComponent(id)}`;

/** The Previous / Next buttons of a Relay connection page, as hash links. */
export function pager(label, path, params, page) {
  const backward = params.has("before");
  const base = Object.fromEntries([...params].filter(([k]) => k !== "after" && k !== "before"));
  const hasPrev = backward ? page.pageInfo.hasPreviousPage : params.has("after");
  const hasNext = backward ? true : page.pageInfo.hasNextPage;
  const go = (extra) => () => (location.hash = link(path, { ...base, ...extra }));
  return h(
    "nav",
    { class: "pager", "aria-label": label },
    h("button", { type: "button", disabled: !hasPrev, onclick: go({ before: page.pageInfo.startCursor }) },
      "← Previous page"),
    h("button", { type: "button", disabled: !hasNext || !page.nodes.length,
      onclick: go({ after: page.pageInfo.endCursor }) }, "Next page →"),
  );
}

/** first/after or last/before from the hash. */
export function pageWindow(params) {
  return params.has("before")
    ? { last: PAGE, before: params.get("before") }
    : { first: PAGE, after: params.get("after") || null };
}

export async function render(view, ctx, params) {
  const search = h("input", { id: "search", name: "search", type: "search", value: params.get("search") ?? "" });
  const status = select("status", [["", "Any"], ["ACTIVE", "Active"], ["INACTIVE", "Inactive"]],
    params.get("status"));
  const provider = select("provider", [["", "Any"], ...PROVIDERS.map((p) => [p, p])],
    params.get("provider"));
  const deleted = h("input", { id: "show-deleted", name: "deleted", type: "checkbox",
    checked: params.get("deleted") === "1" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter users" },
    field("Search", search), field("Status", status), field("Auth provider", provider),
    h("div", { class: "check" }, deleted, h("label", { for: "show-deleted" }, "Show deleted")),
    h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = link("/users", { search: search.value.trim(), status: status.value,
      provider: provider.value, deleted: deleted.checked ? "1" : "" });
  });
  const out = h("div", { id: "users-status" });
  const notice = h("p", { role: "status", class: "notice", id: "users-live" });
  const results = h("div", { id: "users-results" });
  fill(view, h("h1", {}, "Users"), form, notice, out, results);

  const filter = {
    search: params.get("search") || null,
    status: params.get("status") ? [params.get("status")] : null,
    authProvider: params.get("provider") ? [params.get("provider")] : null,
    includeDeleted: params.get("deleted") === "1",
  };
  const fresh = new Set();
  const load = async () => {
    const { users } = await gql(QUERY, { filter, ...pageWindow(params) });
    fill(results, scroller(
      table(`Users — ${users.totalCount} match${users.totalCount === 1 ? "" : "es"}, newest first`,
        ["Login", "Name", "Email", "Auth provider", "Status", "Updated"], users.nodes, (u) => [
          u.deletedAt
            ? [u.loginId, " ", badge("deleted", "off"), " ", ctx.viewer.canWrite
              ? h("button", { type: "button", class: "secondary small", "aria-label": `Restore ${u.loginId}`,
                onclick: () => restore(u.id, u.loginId, out, async (message) => {
                  await load();
                  fill(out, message);
                }) }, "Restore") : null]
            : [h("a", { href: userLink(u.id) }, u.loginId), fresh.has(u.id) ? [" ", h("span", { class: "badge new" }, "new")] : null],
          u.displayName || [u.firstName, u.lastName].filter(Boolean).join(" ") || "—",
          u.email ?? "—", providerBadge(u.authProvider), statusBadge(u.status), when(u.updatedAt),
        ], "No users match.")),
      pager("Users pages", "/users", params, users));
  };
  await load();

  // Live: a SCIM write to a user refreshes the page the admin is looking at.
  let timer = null;
  ctx.onEvent((event) => {
    if (event.resourceType !== "User") return;
    if (event.resourceNodeId && event.method === "POST") fresh.add(event.resourceNodeId);
    notice.textContent = `Provisioning: ${event.method} User ${event.externalId ?? event.resourceId ?? ""}`
      + ` → ${event.statusCode} ${event.outcome}. The list was refreshed.`;
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((err) => fill(out, say(`Could not refresh: ${err.message}`, "error"))), 150);
  });
  ctx.onLeave(() => clearTimeout(timer));
}
