// Groups: a Relay-connection list with search, one group with its members, creating a LOCAL group.

import { gql } from "./api.js";
import { errorBox, field, fill, h, link, providerBadge, statusBadge, table } from "./dom.js";
import { pageWindow, pager, userLink } from "./users.js";

const LIST = `query Groups($filter: GroupFilter, $first: Int, $after: String, $last: Int, $before: String) {
  groups(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id displayName externalId authProvider memberCount roles }
  }
}`;

const ONE = `query Group($id: ID!) {
  group(id: $id) { id displayName externalId authProvider memberCount roles version
    viewerCannotUpdateReasons
    members(first: 100) { totalCount nodes { id loginId displayName authProvider status } } }
}`;

const CREATE = `mutation Create($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id } userErrors { code field fields message } }
}`;

const groupLink = (id) => `#/groups/${encodeURIComponent(id)}`;

export async function renderList(view, ctx, params) {
  const search = h("input", { id: "group-search", type: "search", value: params.get("search") ?? "" });
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter groups" },
    field("Search", search), h("button", { type: "submit" }, "Apply"));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = link("/groups", { search: search.value.trim() });
  });
  const filter = { search: params.get("search") || null };
  const { groups } = await gql(LIST, { filter, ...pageWindow(params) });
  fill(view, h("h1", {}, "Groups"), filters,
    table(`Groups — ${groups.totalCount}, by name`, ["Name", "Owner", "Members", "Roles", "External id"],
      groups.nodes, (g) => [h("a", { href: groupLink(g.id) }, g.displayName),
        providerBadge(g.authProvider), String(g.memberCount), g.roles.join(", ") || "—",
        g.externalId ?? "—"], "No groups match."),
    pager("Groups pages", "/groups", params, groups),
    ctx.viewer.canWrite ? createForm() : null);
}

function createForm() {
  const name = h("input", { id: "new-group", name: "displayName", type: "text", required: true });
  const out = h("div", {});
  const form = h("form", { class: "inline", "aria-labelledby": "new-group-title" },
    h("h2", { id: "new-group-title" }, "New local group"), field("Name", name),
    h("button", { type: "submit" }, "Create group"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { createGroup } = await gql(CREATE, { input: { displayName: name.value.trim() } });
      if (createGroup.userErrors.length) fill(out, errorBox(createGroup.userErrors));
      else location.hash = groupLink(createGroup.group.id);
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  });
  return form;
}

export async function renderOne(view, ctx, params, id) {
  const { group: g } = await gql(ONE, { id });
  if (!g) {
    fill(view, h("h1", {}, "Group not found"), h("a", { href: "#/groups" }, "Back to groups"));
    return;
  }
  const reasons = g.viewerCannotUpdateReasons;
  fill(view,
    h("p", { class: "crumbs" }, h("a", { href: "#/groups" }, "← Groups")),
    h("h1", {}, g.displayName),
    h("p", { class: "meta" }, providerBadge(g.authProvider), ` ${g.memberCount} members · version ${g.version}`,
      g.externalId ? ` · external id ${g.externalId}` : ""),
    reasons.includes("MANAGED_BY_IDP")
      ? h("p", { class: "why" }, `Owned by ${g.authProvider}: its name and members change in the identity provider; roles can still be granted here.`)
      : null,
    h("p", {}, "Roles granted to the group: ", g.roles.join(", ") || "none"),
    table(`Members (${g.members.totalCount})`, ["Login", "Name", "Auth provider", "Status"],
      g.members.nodes, (u) => [h("a", { href: userLink(u.id) }, u.loginId), u.displayName ?? "—",
        providerBadge(u.authProvider), statusBadge(u.status)], "No members."));
}
