// Admin API tokens: every admin's tokens, create one with a lifetime (secret shown once), revoke.

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { badge, confirmAction, copyText, errorBox, field, fill, h, notice, scroller, table, when }
  from "./dom.js";
import { namesOf } from "./names.js";

const TOKEN = "id userId name hint state createdBy createdAt expiresAt revokedAt lastUsedAt";
const ERRORS = "userErrors { code field fields message }";
const LIST = `{ apiTokens { ${TOKEN} } }`;
const CREATE = `mutation Create($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret apiToken { ${TOKEN} } ${ERRORS} } }`;
const REVOKE = `mutation Revoke($input: RevokeApiTokenInput!) {
  revokeApiToken(input: $input) { apiToken { id state } ${ERRORS} } }`;
const FIND_USER = "query Find($login: String!) { user(loginId: $login) { id loginId } }";
// The API's bounds (CreateApiTokenInput.ttlDays): 1 to ROSTER_API_TOKEN_MAX_TTL_DAYS (365 by
// default), 90 when not given. A deployment with a lower maximum answers INVALID_VALUE inline.
const TTL = { min: 1, max: 365, default: 90 };

export async function render(view, ctx, params, message = null) {
  const { apiTokens } = await gql(LIST);
  const names = await namesOf(apiTokens.map((t) => t.userId)).catch(() => new Map());
  const reload = (note) => render(view, ctx, params, note);
  const out = h("div", { id: "api-tokens-status" }, message);
  const revoke = async (t, owner) => {
    const ok = await confirmAction({ title: `Revoke token ${t.name}?`, action: "Revoke token",
      consequence: `The token ${t.name} (…${t.hint}) of ${owner} stops working at once: every script `
        + "or session that uses it is signed out. This cannot be undone; create a new token instead." });
    if (!ok) return;
    await mutate(out, REVOKE, { input: { id: t.id } }, () => reload(notice(`Revoked ${t.name}.`)));
  };
  const rows = scroller(table("Admin API tokens, newest first (secrets are never shown again)",
    ["Name", "Admin", "Ends with", "State", "Created by", "Created", "Expires", "Last used", "Action"],
    apiTokens, (t) => {
      const owner = names.get(t.userId) ?? "a deleted user";
      return [t.name, owner, `…${t.hint}`, badge(t.state, t.state === "ACTIVE" ? "ok" : "off"), t.createdBy,
        when(t.createdAt), when(t.expiresAt), when(t.lastUsedAt),
        t.state === "ACTIVE" && ctx.viewer.canWrite
          ? h("button", { type: "button", class: "danger small", "aria-label": `Revoke token ${t.name} …${t.hint}`,
            onclick: () => revoke(t, owner) }, "Revoke")
          : ""];
    }, "No admin API tokens."));
  fill(view, h("h1", {}, "Admin API tokens"),
    h("p", { class: "hint" }, "Tokens sign in to this console, GraphQL and the CLI as an admin user; "
      + "they always expire."),
    out, rows, ctx.viewer.canWrite ? createForm(ctx, reload) : null);
}

function createForm(ctx, reload) {
  const name = h("input", { id: "api-token-name", name: "name", type: "text", required: true });
  const login = h("input", { id: "api-token-login", name: "login", type: "text", required: true,
    value: ctx.viewer.loginId, "aria-describedby": "api-token-login-hint" });
  const ttl = h("input", { id: "api-token-ttl", name: "ttlDays", type: "number", required: true,
    min: TTL.min, max: TTL.max, step: 1, value: TTL.default, "aria-describedby": "api-token-ttl-hint" });
  const created = h("div", { id: "new-api-token" });
  const form = h("form", { class: "inline", "aria-labelledby": "new-api-token-title" },
    h("h2", { id: "new-api-token-title" }, "New admin API token"),
    h("div", { class: "grid" },
      field("Token name", name),
      field("For admin (login)", login, h("p", { id: "api-token-login-hint", class: "hint" },
        "A user holding OWNER, ADMIN or VIEWER.")),
      field("Lifetime (days)", ttl, h("p", { id: "api-token-ttl-hint", class: "hint" },
        `${TTL.min} to ${TTL.max} days (the server may allow less).`))),
    h("button", { type: "submit" }, "Create token"), created);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { user } = await gql(FIND_USER, { login: login.value.trim() });
      if (!user) {
        fill(created, errorBox([{ code: "NOT_FOUND", message: `No user has the login ${login.value.trim()}.`,
          fields: ["userId"] }]));
        return;
      }
      const input = { userId: user.id, name: name.value.trim(), ttlDays: Number(ttl.value) };
      const { createApiToken: r } = await gql(CREATE, { input });
      if (r.userErrors.length) {
        fill(created, errorBox(r.userErrors));
        return;
      }
      await reload(notice(`Created ${r.apiToken.name} for ${user.loginId}, expiring ${r.apiToken.expiresAt.slice(0, 10)}.`));
      showSecret(r.secret);
    } catch (err) {
      fill(created, errorBox(err.message));
    }
  });
  return form;
}

function showSecret(secret) {
  const box = document.getElementById("new-api-token");
  const input = h("input", { id: "api-token-secret", type: "text", readonly: true, value: secret,
    class: "secret", "aria-describedby": "api-token-secret-hint" });
  const copied = h("span", { role: "status", id: "api-token-copied" });
  fill(box, h("div", { class: "once" },
    field("Token secret", input, h("p", { id: "api-token-secret-hint" }, h("strong", {}, "Copy it now: "),
      "it is shown only once and cannot be read again.")),
    h("button", { type: "button", onclick: () => copyText(secret, copied) }, "Copy secret"), " ", copied));
  input.focus();
  input.select();
}
