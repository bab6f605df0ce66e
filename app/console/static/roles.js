// Role grants of one user or group: grant by name, revoke each (confirmed), errors inline.

import { mutate } from "./mutate.js";
import { badge, confirmAction, field, h, notice } from "./dom.js";

const ERRORS = "userErrors { code field fields message }";
const GRANT = `mutation Grant($input: RolesInput!) { grantRoles(input: $input) { granted ${ERRORS} } }`;
const REVOKE = `mutation Revoke($input: RolesInput!) { revokeRoles(input: $input) { revoked ${ERRORS} } }`;
export const KNOWN_ROLES = ["OWNER", "ADMIN", "VIEWER"];

/**
 * The "Roles" section. target: {kind: "user" | "group", id, label, roles, canGrant};
 * reload(message) re-renders the page after a change.
 */
export function rolesSection(target, reload) {
  const key = target.kind === "user" ? "userIds" : "groupIds";
  const out = h("div", { id: "roles-status" });
  const run = (mutation, roles, field_) => mutate(out, mutation, { input: { roles, [key]: [target.id] } },
    () => reload(notice(field_ === "grantRoles" ? `Granted ${roles.join(", ")}.` : `Revoked ${roles.join(", ")}.`)));
  const list = target.roles.length
    ? h("ul", { class: "roles" }, target.roles.map((role) => h("li", {}, badge(role, "local"), " ",
      target.canGrant ? h("button", { type: "button", class: "secondary small",
        "aria-label": `Revoke ${role} from ${target.label}`,
        onclick: async () => {
          const ok = await confirmAction({ title: `Revoke ${role}?`, action: `Revoke ${role}`,
            consequence: `${target.label} loses ${role} at once${target.kind === "group"
              ? ", and so does every member who holds it only through this group" : ""}.` });
          if (ok) await run(REVOKE, [role], "revokeRoles");
        } }, "Revoke") : null)))
    : h("p", { class: "hint" }, "No roles granted directly.");
  const role = h("input", { id: `${target.kind}-role`, name: "role", type: "text", list: "known-roles",
    required: true, autocomplete: "off" });
  const form = h("form", { class: "inline-row", "aria-label": `Grant a role to ${target.label}` },
    field("Role to grant", role, h("datalist", { id: "known-roles" },
      KNOWN_ROLES.map((r) => h("option", { value: r })))),
    h("button", { type: "submit" }, "Grant role"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = role.value.trim();
    const name = KNOWN_ROLES.find((r) => r === typed.toUpperCase()) ?? typed;
    if (name) run(GRANT, [name], "grantRoles");
  });
  return h("section", { class: "card", "aria-labelledby": `${target.kind}-roles-title` },
    h("h2", { id: `${target.kind}-roles-title` }, "Roles"), list,
    target.canGrant ? form : null, out);
}
