// Destructive actions on one user: delete (then restore), and convert to LOCAL (dry run first).

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { confirmAction, errorBox, fill, h, notice, table } from "./dom.js";

const ERRORS = "userErrors { code field fields message }";
const DELETE = `mutation Delete($input: DeleteUserInput!) {
  deleteUser(input: $input) { user { id loginId deletedAt } ${ERRORS} } }`;
const RESTORE = `mutation Restore($input: RestoreUserInput!) {
  restoreUser(input: $input) { user { id loginId } ${ERRORS} } }`;
const CONVERT = `mutation Convert($input: ConvertUsersToLocalInput!) {
  convertUsersToLocal(input: $input) { convertedUsers convertedGroups dryRun
    results { id type label previousAuthProvider converted conflictingId error { code message } }
    ${ERRORS} } }`;

/** Restore a soft-deleted user; onDone(message) after success, errors into out. */
export async function restore(id, login, out, onDone) {
  await mutate(out, RESTORE, { input: { id } }, () => onDone(notice(`Restored ${login}.`)));
}

/** What a user page shows once its user was deleted: the fact, and a way back. */
export function deletedView(view, u, onRestored) {
  const out = h("div", { id: "restore-status" });
  fill(view, h("p", { class: "crumbs" }, h("a", { href: "#/users" }, "← Users")),
    h("h1", {}, u.loginId),
    notice(`Deleted ${u.loginId}. It no longer signs in, is hidden from lists and SCIM, and can be restored.`),
    h("p", {}, h("button", { type: "button", onclick: () => restore(u.id, u.loginId, out, onRestored) },
      "Restore user")),
    out);
}

/** The "Danger zone" of a user page: delete (LOCAL users) and convert to LOCAL (IdP-owned). */
export function dangerSection(view, u, { canWrite, onDeleted, reload }) {
  const out = h("div", { id: "danger-status" });
  const remove = async () => {
    const ok = await confirmAction({ title: `Delete ${u.loginId}?`, action: "Delete user",
      consequence: `${u.loginId} is soft-deleted: its admin tokens stop working, it leaves every `
        + "group and disappears from lists and SCIM. An admin can restore it from the users list "
        + "(show deleted)." });
    if (!ok) return;
    await mutate(out, DELETE, { input: { id: u.id } }, (r) => onDeleted(r.user ?? u));
  };
  const convert = async () => {
    try {
      const input = { userIds: [u.id], dryRun: true };
      const { convertUsersToLocal: dry } = await gql(CONVERT, { input });
      if (dry.userErrors.length) {
        fill(out, errorBox(dry.userErrors));
        return;
      }
      fill(out, report(dry));
      if (!dry.convertedUsers) return;
      const ok = await confirmAction({ title: `Convert ${u.loginId} to LOCAL?`, action: "Convert to local",
        consequence: `${u.authProvider} stops owning ${u.loginId}: every field becomes editable here, `
          + `and SCIM writes from ${u.authProvider} to this user are refused from now on. `
          + "This is not undone by the IdP." });
      if (!ok) return;
      const { convertUsersToLocal: done } = await gql(CONVERT, { input: { ...input, dryRun: false } });
      if (done.userErrors.length) fill(out, errorBox(done.userErrors));
      else await reload(notice(`Converted ${u.loginId} to LOCAL.`));
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const local = u.authProvider === "LOCAL";
  if (local ? !u.viewerCanDelete : !canWrite) return null;
  return h("section", { class: "card danger-zone", "aria-labelledby": "danger-title" },
    h("h2", { id: "danger-title" }, "Danger zone"),
    local
      ? h("p", {}, h("button", { type: "button", class: "danger", onclick: remove }, "Delete user"))
      : h("p", {}, `Owned by ${u.authProvider}: delete it in ${u.authProvider} (deprovisioning), `
        + "or convert it to LOCAL to manage it here. ",
      h("button", { type: "button", class: "danger", onclick: convert }, "Convert to local…")),
    out);
}

/** The dry run's report: what would become LOCAL, and what would not and why. */
function report(r) {
  const verb = r.dryRun ? "would be" : "was";
  return h("div", { id: "convert-report" },
    h("p", { role: "status" }, `Dry run: ${r.convertedUsers} user(s) and ${r.convertedGroups} group(s) `
      + `${verb} converted. Nothing has changed yet.`),
    table("What the conversion would do", ["Record", "Type", "Owner now", "Result"], r.results,
      (c) => [c.label, c.type, c.previousAuthProvider,
        c.converted ? "becomes LOCAL" : `stays: ${c.error?.message ?? "refused"}`]));
}
