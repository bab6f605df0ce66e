// Groups: a Relay-connection list with search, one group with its members, creating a LOCAL group.

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { confirmAction, errorBox, field, fill, h, link, notice, providerBadge, scroller, statusBadge,
  table } from "./dom.js";
import { rolesSection } from "./roles.js";
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
    viewerCanUpdate viewerCanDelete viewerCanGrantRoles viewerCannotUpdateReasons
    members(first: 100) { totalCount nodes { id loginId displayName authProvider status } } }
}`;

const CREATE = `mutation Create($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id } userErrors { code field fields message } }
}`;

const ERRORS = "userErrors { code field fields message }";
const ADD = `mutation Add($input: GroupMembersInput!) { addGroupMembers(input: $input) { group { id } ${ERRORS} } }`;
const REMOVE = `mutation Remove($input: GroupMembersInput!) {
  removeGroupMembers(input: $input) { group { id } ${ERRORS} } }`;
const DELETE = `mutation Delete($input: DeleteGroupInput!) { deleteGroup(input: $input) { deletedGroupId ${ERRORS} } }`;
const FIND_USER = "query Find($login: String!) { user(loginId: $login) { id loginId } }";

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
    scroller(table(`Groups — ${groups.totalCount}, by name`, ["Name", "Owner", "Members", "Roles", "External id"],
      groups.nodes, (g) => [h("a", { href: groupLink(g.id) }, g.displayName),
        providerBadge(g.authProvider), String(g.memberCount), g.roles.join(", ") || "—",
        g.externalId ?? "—"], "No groups match.")),
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
    await mutate(out, CREATE, { input: { displayName: name.value.trim() } },
      (r) => { location.hash = groupLink(r.group.id); });
  });
  return form;
}

export async function renderOne(view, ctx, params, id, message = null) {
  const { group: g } = await gql(ONE, { id });
  if (!g) {
    fill(view, h("h1", {}, "Group not found"), h("a", { href: "#/groups" }, "Back to groups"));
    return;
  }
  const reload = (note) => renderOne(view, ctx, params, id, note);
  const reasons = g.viewerCannotUpdateReasons;
  const idp = reasons.includes("MANAGED_BY_IDP");
  const out = h("div", { id: "members-status" });
  const members = (ids, mutation, key, done) => run(out, async () => {
    const r = (await gql(mutation, { input: { groupId: g.id, userIds: ids } }))[key];
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else await reload(notice(done));
  });
  const removeButton = (u) => h("button", { type: "button", class: "secondary small",
    "aria-label": `Remove ${u.loginId} from ${g.displayName}`, onclick: async () => {
      const ok = await confirmAction({ title: `Remove ${u.loginId}?`, action: "Remove member",
        consequence: `${u.loginId} leaves ${g.displayName} and loses the roles it held only through it`
          + ` (${g.roles.join(", ") || "none"}).` });
      if (ok) members([u.id], REMOVE, "removeGroupMembers", `Removed ${u.loginId}.`);
    } }, "Remove");
  const headers = ["Login", "Name", "Auth provider", "Status", ...(g.viewerCanUpdate ? ["Action"] : [])];
  fill(view,
    h("p", { class: "crumbs" }, h("a", { href: "#/groups" }, "← Groups")),
    h("h1", {}, g.displayName),
    h("p", { class: "meta" }, providerBadge(g.authProvider), ` ${g.memberCount} members · version ${g.version}`,
      g.externalId ? ` · external id ${g.externalId}` : ""),
    message,
    idp
      ? h("p", { class: "why", id: "group-readonly" }, `Owned by ${g.authProvider}: its name and members `
        + `are read-only here because ${g.authProvider} pushes them over SCIM (an edit here would be `
        + "overwritten, so it is refused). Roles can still be granted here.")
      : null,
    rolesSection({ kind: "group", id: g.id, label: g.displayName, roles: g.roles,
      canGrant: g.viewerCanGrantRoles }, reload),
    h("section", { "aria-labelledby": "members-title" }, h("h2", { id: "members-title" }, "Members"),
      scroller(table(`Members (${g.members.totalCount})`, headers, g.members.nodes, (u) => [
        h("a", { href: userLink(u.id) }, u.loginId), u.displayName ?? "—", providerBadge(u.authProvider),
        statusBadge(u.status), ...(g.viewerCanUpdate ? [removeButton(u)] : [])], "No members.")),
      g.viewerCanUpdate ? addMember(g, out, (user) =>
        members([user.id], ADD, "addGroupMembers", `Added ${user.loginId}.`)) : null,
      out),
    g.viewerCanDelete ? deleteSection(g) : null);
}

async function run(out, fn) {
  try {
    await fn();
  } catch (err) {
    fill(out, errorBox(err.message));
  }
}

function addMember(g, out, add) {
  const login = h("input", { id: "member-login", name: "login", type: "text", required: true,
    autocomplete: "off" });
  const form = h("form", { class: "inline-row", "aria-label": `Add a member to ${g.displayName}` },
    field("Login of the user to add", login), h("button", { type: "submit" }, "Add member"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(out, async () => {
      const { user } = await gql(FIND_USER, { login: login.value.trim() });
      if (user) await add(user);
      else fill(out, errorBox([{ code: "NOT_FOUND", message: `No user has the login ${login.value.trim()}.` }]));
    });
  });
  return form;
}

function deleteSection(g) {
  const out = h("div", { id: "delete-group-status" });
  const remove = () => run(out, async () => {
    const ok = await confirmAction({ title: `Delete ${g.displayName}?`, action: "Delete group",
      consequence: `The group is deleted for good (it cannot be restored); its ${g.memberCount} member(s) `
        + `lose the roles granted through it (${g.roles.join(", ") || "none"}) at once.` });
    if (!ok) return;
    const { deleteGroup: r } = await gql(DELETE, { input: { id: g.id } });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else location.hash = "#/groups";
  });
  return h("section", { class: "card danger-zone", "aria-labelledby": "delete-group-title" },
    h("h2", { id: "delete-group-title" }, "Danger zone"),
    h("p", {}, h("button", { type: "button", class: "danger", onclick: remove }, "Delete group")), out);
}
