// One user's profile: who owns each field and why, edits through updateUser, status changes.

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { badge, confirmAction, errorBox, field, fill, h, providerBadge, statusBadge, when } from "./dom.js";
import { rolesSection } from "./roles.js";
import { dangerSection, deletedView } from "./user_actions.js";

const USER = `id loginId externalId authProvider status statusReason notes version createdAt updatedAt
  lastProvisionedAt profile { name displayName datatype value source editable visible }
  viewerCanUpdate viewerCanChangeStatus viewerCanDelete viewerCannotUpdateReasons lockedFields roles effectiveRoles
  emergencyLock { reason lockedAt idpActive lockedBy { loginId } }
  groups(first: 50) { totalCount nodes { id displayName authProvider } }`;

const QUERY = `query User($id: ID!) {
  user(id: $id) { ${USER} }
  profileAttributes { name builtin }
}`;

const UPDATE = `mutation Update($input: UpdateUserInput!) {
  updateUser(input: $input) { user { ${USER} } userErrors { code field fields message } }
}`;

const STATUS = `mutation Status($input: SetUserStatusInput!) {
  setUserStatus(input: $input) { user { ${USER} } userErrors { code field fields message } }
}`;

const UNLOCK = `mutation Unlock($input: UnlockUserInput!) {
  unlockUser(input: $input) { user { ${USER} } userErrors { code field fields message } }
}`;

const REASONS = {
  MANAGED_BY_IDP: (u) => `This user is owned by ${u.authProvider}: fields marked “locked” are mastered by the identity provider (Profile Editor: inherit from IdP), so change them in ${u.authProvider}. Notes, locally mastered attributes and the status stay editable here.`,
  INSUFFICIENT_ROLE: () => "Your role can read users but not change them (OWNER or ADMIN can).",
  DELETED: () => "This user is deleted; restore it before editing.",
};

const asText = (value) => (Array.isArray(value) ? value.join(", ") : value ?? "");

function asValue(datatype, text) {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (datatype === "NUMBER") return Number(trimmed);
  if (datatype === "STRING_ARRAY") return trimmed.split(",").map((s) => s.trim()).filter(Boolean);
  return text;
}

export async function render(view, ctx, params, id) {
  const data = await gql(QUERY, { id });
  if (!data.user) {
    fill(view, h("h1", {}, "User not found"), h("p", {}, "It may have been deleted. ",
      h("a", { href: "#/users" }, "Back to users")));
    return;
  }
  const builtin = new Set(data.profileAttributes.filter((a) => a.builtin).map((a) => a.name));
  show(view, data.user, builtin, null, ctx);
}

let current = null; // the view's context, kept for the re-renders after a save

function show(view, u, builtin, notice = null, ctx = current) {
  current = ctx;
  const reload = async (message) => {
    const data = await gql(QUERY, { id: u.id });
    if (data.user) show(view, data.user, builtin, message);
  };
  const locked = new Set(u.lockedFields);
  const fields = [
    ...u.profile.filter((p) => p.visible),
    { name: "externalId", displayName: "External id", datatype: "STRING", value: u.externalId,
      source: locked.has("externalId") ? "IDP" : "LOCAL",
      editable: u.viewerCanUpdate && !locked.has("externalId") },
  ];
  const inputs = new Map();
  const rows = fields.map((f) => {
    const id = `f-${f.name}`;
    const input = h("input", { id, name: f.name, type: "text", value: asText(f.value),
      readonly: !f.editable, "aria-describedby": f.editable ? null : `${id}-why` });
    inputs.set(f.name, { input, attr: f, original: asText(f.value) });
    return lockedRow(field(f.displayName, input, why(u, f, id)), !f.editable);
  });
  const notes = h("textarea", { id: "f-notes", name: "notes", rows: 3, readonly: !u.viewerCanUpdate },
    u.notes ?? "");
  inputs.set("notes", { input: notes, attr: { name: "notes", datatype: "STRING" }, original: u.notes ?? "" });
  const status = h("div", { id: "profile-status" }, notice);
  const form = h("form", { class: "profile", "aria-labelledby": "profile-title" },
    h("h2", { id: "profile-title" }, "Profile"),
    h("div", { class: "grid" }, rows),
    field("Notes (always local)", notes),
    u.viewerCanUpdate ? h("p", { class: "actions" }, h("button", { type: "submit" }, "Save changes"),
      h("button", { type: "button", class: "secondary", onclick: () => discard(view, u, builtin, inputs, status) },
        "Discard changes")) : null,
    status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(view, u, builtin, inputs, status);
  });

  const reasons = u.viewerCannotUpdateReasons;
  fill(view,
    h("p", { class: "crumbs" }, h("a", { href: "#/users" }, "← Users")),
    h("h1", {}, u.loginId),
    h("p", { class: "meta" }, providerBadge(u.authProvider), " ", statusBadge(u.status),
      ` version ${u.version} · created `, when(u.createdAt), " · updated ", when(u.updatedAt),
      u.lastProvisionedAt ? [" · last provisioned ", when(u.lastProvisionedAt)] : null),
    reasons.length
      ? h("div", { class: "why", id: "cannot-update" }, h("h2", {}, "Why some fields are locked"),
        h("ul", {}, reasons.map((r) => h("li", {}, h("code", { class: "code" }, r), " ",
          (REASONS[r] ?? (() => ""))(u)))),
        locked.size ? h("details", {}, h("summary", {}, `${locked.size} locked fields`),
          h("p", {}, [...locked].join(", "))) : null)
      : null,
    form,
    statusSection(view, u, builtin),
    h("section", { "aria-labelledby": "access-title" }, h("h2", { id: "access-title" }, "Access"),
      h("p", {}, "Effective roles (direct and through groups): ", u.effectiveRoles.join(", ") || "none"),
      h("p", {}, `Groups (${u.groups.totalCount}): `, u.groups.nodes.length
        ? u.groups.nodes.map((g, i) => [i ? ", " : "", h("a", { href: `#/groups/${encodeURIComponent(g.id)}` }, g.displayName)])
        : "none")),
    rolesSection({ kind: "user", id: u.id, label: u.loginId, roles: u.roles,
      canGrant: current.viewer.canWrite }, reload),
    dangerSection(view, u, { canWrite: current.viewer.canWrite, reload,
      onDeleted: (gone) => deletedView(view, { ...u, ...gone }, reload) }));
}

/** Put the saved values back, after a confirmation naming what would be lost. */
async function discard(view, u, builtin, inputs, status) {
  const changed = [...inputs].filter(([, e]) => e.input.value !== e.original).map(([name]) => name);
  if (!changed.length) {
    fill(status, h("p", { role: "status" }, "No changes to discard."));
    return;
  }
  const ok = await confirmAction({ title: "Discard your changes?", action: "Discard changes",
    consequence: `Your unsaved edits of ${changed.join(", ")} are lost; the saved profile is shown again.` });
  if (ok) show(view, u, builtin, h("p", { role: "status" }, "Changes discarded."));
}

function why(u, f, id) {
  if (f.editable) return null;
  const text = f.source === "IDP" ? `Managed by ${u.authProvider}: change it there.` : "Read-only for your role.";
  return h("p", { id: `${id}-why`, class: "lock" }, text);
}

function lockedRow(row, isLocked) {
  if (isLocked) row.classList.add("locked");
  return row;
}

async function save(view, u, builtin, inputs, status) {
  const input = { id: u.id, expectedVersion: u.version };
  const custom = [];
  for (const [name, { input: el, attr, original }] of inputs) {
    if (el.value === original) continue;
    const value = asValue(attr.datatype, el.value);
    if (name === "loginId" || name === "externalId" || name === "notes" || builtin.has(name)) {
      input[name] = value;
    } else {
      custom.push({ name, value });
    }
  }
  if (custom.length) input.customAttributes = custom;
  if (Object.keys(input).length === 2) {
    fill(status, h("p", { role: "status" }, "No changes to save."));
    return;
  }
  fill(status, h("p", { role: "status" }, "Saving…"));
  try {
    const { updateUser } = await gql(UPDATE, { input });
    if (updateUser.userErrors.length) {
      refused(u, inputs, status, updateUser.userErrors);
      return;
    }
    const saved = h("p", { role: "status", class: "ok" }, `Saved (version ${updateUser.user.version}).`);
    show(view, updateUser.user, builtin, saved);
  } catch (err) {
    fill(status, errorBox(err.message));
  }
}

/** Show the refusal; fields the IdP owns become read-only with the reason, others stay. */
function refused(u, inputs, status, errors) {
  for (const e of errors) {
    for (const name of e.fields) {
      const entry = inputs.get(name);
      if (!entry) continue;
      entry.input.setAttribute("aria-invalid", "true");
      if (e.code !== "MANAGED_BY_IDP") continue;
      entry.input.value = entry.original;
      entry.input.readOnly = true;
      const row = entry.input.closest(".field");
      row.classList.add("locked");
      const note = h("p", { id: `${entry.input.id}-why`, class: "lock" },
        `Managed by ${u.authProvider}: the server refused the edit.`);
      row.querySelector(".lock")?.remove();
      row.append(note);
      entry.input.setAttribute("aria-describedby", note.id);
    }
  }
  fill(status, errorBox(errors), h("p", {}, h("button", { type: "button",
    onclick: () => (location.hash = `${location.hash.split("?")[0]}?reload=${Date.now()}`) },
  "Reload profile")));
}

function statusSection(view, u, builtin) {
  if (!u.viewerCanChangeStatus) return null;
  const active = u.status === "ACTIVE";
  const reason = h("input", { id: "status-reason", name: "reason", type: "text", required: true });
  const out = h("div", {});
  const form = h("form", { class: "inline", "aria-labelledby": "status-title" },
    h("h2", { id: "status-title" }, "Status"),
    h("p", {}, "Currently ", badge(u.status, active ? "ok" : "off"),
      u.statusReason ? ` — ${u.statusReason}` : ""),
    lockNotice(view, u, builtin),
    u.authProvider !== "LOCAL" && active
      ? h("p", { class: "hint" }, `Deactivating a ${u.authProvider} user with a reason locks it: `
        + "it stays inactive whatever the IdP sends until an admin unlocks or reactivates it.")
      : null,
    field("Reason (audited)", reason),
    h("button", { type: "submit" }, active ? "Deactivate" : "Reactivate"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await mutate(out, STATUS, { input: { id: u.id, active: !active, reason: reason.value } },
      (r) => show(view, r.user, builtin, h("p", { role: "status", class: "ok" }, `Status is now ${r.user.status}.`)));
  });
  return form;
}

/** Rule 17: the emergency lock, who set it, what the IdP wants, and the way to lift it. */
function lockNotice(view, u, builtin) {
  const lock = u.emergencyLock;
  if (!lock) return null;
  const out = h("div", {});
  const unlock = h("button", { type: "button", id: "unlock-user" }, "Unlock");
  unlock.addEventListener("click", async () => {
    const wants = lock.idpActive ? "ACTIVE" : "INACTIVE";
    const ok = await confirmAction({ title: `Unlock ${u.loginId}?`, action: "Unlock",
      consequence: `The lock is lifted and the IdP's value applies: the user becomes ${wants}.` });
    if (!ok) return;
    await mutate(out, UNLOCK, { input: { id: u.id } }, (r) => show(view, r.user, builtin,
      h("p", { role: "status", class: "ok" }, `Unlocked; status is now ${r.user.status}.`)));
  });
  return h("div", { class: "lock-notice", id: "emergency-lock" },
    h("p", {}, badge("Emergency lock", "off"), ` ${lock.reason} — set by `,
      lock.lockedBy ? lock.lockedBy.loginId : "a deleted user", ` at ${lock.lockedAt}.`),
    h("p", {}, `The IdP wants this user ${lock.idpActive ? "active" : "inactive"}.`),
    u.viewerCanChangeStatus ? unlock : null, out);
}
