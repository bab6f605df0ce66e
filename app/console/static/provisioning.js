// Provisioning: on/off, SCIM tokens (secret shown once), counters, and the live event log.

import { gql } from "./api.js";
import { badge, errorBox, field, fill, h, table, when } from "./dom.js";
import { userLink } from "./users.js";

const TOKEN = "id name hint state createdBy createdAt expiresAt revokedAt lastUsedAt";
const QUERY = (eventFields) => `{ provisioning {
  enabled scimBaseUrl tokens { ${TOKEN} }
  stats { usersByProvider { authProvider count } groupsByProvider { authProvider count }
          requestsLast24h errorsLast24h lastRequestAt }
  events(first: 20) { nodes { ${eventFields} } }
} }`;
const ERRORS = "userErrors { code field fields message }";
const ENABLE = `mutation Enable($input: SetProvisioningEnabledInput!) {
  setProvisioningEnabled(input: $input) { enabled ${ERRORS} } }`;
const CREATE = `mutation Create($input: CreateScimTokenInput!) {
  createScimToken(input: $input) { secret scimToken { ${TOKEN} } ${ERRORS} } }`;
const REVOKE = `mutation Revoke($input: RevokeScimTokenInput!) {
  revokeScimToken(input: $input) { scimToken { id } ${ERRORS} } }`;

const outcomeKind = { SUCCESS: "ok", WARNING: "warn", ERROR: "off" };

function eventRow(e) {
  const target = e.resourceType === "User" && e.resourceNodeId && e.method !== "DELETE"
    ? h("a", { href: userLink(e.resourceNodeId) }, e.externalId ?? e.resourceId)
    : e.externalId ?? e.resourceId ?? "—";
  const row = [when(e.at), e.method, e.resourceType, target, badge(e.outcome, outcomeKind[e.outcome]),
    String(e.statusCode), e.errorDetail ?? "", `${e.durationMs.toFixed(1)} ms`];
  return h("tr", {}, row.map((c) => h("td", {}, c)));
}

export async function render(view, ctx) {
  const { provisioning: p } = await gql(QUERY(ctx.eventFields));
  const reload = () => render(view, ctx);
  const out = h("div", { id: "provisioning-status" });
  const act = (fn) => async (event) => {
    event?.preventDefault();
    try {
      await fn();
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const counts = (list) => list.map((c) => `${c.authProvider} ${c.count}`).join(", ") || "none";

  const toggle = h("button", { type: "button", onclick: act(async () => {
    const { setProvisioningEnabled: r } = await gql(ENABLE, { input: { enabled: !p.enabled } });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else reload();
  }) }, p.enabled ? "Disable provisioning (revokes every SCIM token)" : "Enable provisioning");

  const name = h("input", { id: "token-name", name: "name", type: "text", required: true, value: "okta" });
  const created = h("div", { id: "new-token" });
  const create = h("form", { class: "inline", "aria-labelledby": "new-token-title" },
    h("h3", { id: "new-token-title" }, "New SCIM token"), field("Name (e.g. the IdP)", name),
    h("button", { type: "submit" }, "Create token"), created);
  create.addEventListener("submit", act(async () => {
    const { createScimToken: r } = await gql(CREATE, { input: { name: name.value.trim() } });
    if (r.userErrors.length) {
      fill(created, errorBox(r.userErrors));
      return;
    }
    const secret = h("input", { id: "token-secret", type: "text", readonly: true, value: r.secret,
      class: "secret", "aria-describedby": "token-secret-hint" });
    fill(created, h("div", { class: "once", role: "status" },
      field("Token secret", secret, h("p", { id: "token-secret-hint" }, h("strong", {}, "Copy it now: "),
        "it is shown only once and cannot be read again. Give it to the IdP with the SCIM base URL.")),
      h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(r.secret) }, "Copy")));
    secret.focus();
    secret.select();
    tokensBody.prepend(tokenRow(r.scimToken));
  }));

  const tokenRow = (t) => h("tr", {},
    [t.name, `…${t.hint}`, badge(t.state, t.state === "ACTIVE" ? "ok" : "off"), when(t.createdAt),
      when(t.expiresAt), when(t.lastUsedAt),
      t.state === "ACTIVE" && ctx.viewer.canWrite
        ? h("button", { type: "button", "aria-label": `Revoke token ${t.name} …${t.hint}`, onclick: act(async () => {
          const { revokeScimToken: r } = await gql(REVOKE, { input: { id: t.id } });
          if (r.userErrors.length) fill(out, errorBox(r.userErrors));
          else reload();
        }) }, "Revoke")
        : ""].map((c) => h("td", {}, c)));
  const tokens = table("SCIM tokens (secrets are never shown again)",
    ["Name", "Ends with", "State", "Created", "Expires", "Last used", "Action"], [], () => [], "");
  const tokensBody = tokens.tBodies[0];
  fill(tokensBody, p.tokens.map(tokenRow));

  const events = table("Provisioning events, newest first",
    ["Time", "Method", "Type", "Resource", "Outcome", "HTTP", "Detail", "Took"], [], () => [], "");
  const eventsBody = events.tBodies[0];
  fill(eventsBody, p.events.nodes.map(eventRow));
  const announce = h("p", { id: "events-live", class: "notice", "aria-live": "polite" },
    "Waiting for live events…");
  ctx.onEvent((e) => {
    eventsBody.prepend(eventRow(e));
    announce.textContent = `${e.method} ${e.resourceType} ${e.externalId ?? e.resourceId ?? ""}: `
      + `${e.outcome} (${e.statusCode}).`;
  });

  fill(view, h("h1", {}, "Provisioning"),
    h("dl", { class: "facts" },
      h("dt", {}, "SCIM provisioning"), h("dd", { id: "provisioning-enabled" },
        badge(p.enabled ? "Enabled" : "Disabled", p.enabled ? "ok" : "off")),
      h("dt", {}, "SCIM base URL"), h("dd", {}, h("code", {}, p.scimBaseUrl)),
      h("dt", {}, "Users by owner"), h("dd", {}, counts(p.stats.usersByProvider)),
      h("dt", {}, "Groups by owner"), h("dd", {}, counts(p.stats.groupsByProvider)),
      h("dt", {}, "SCIM writes, last 24 h"),
      h("dd", {}, `${p.stats.requestsLast24h} (${p.stats.errorsLast24h} failed), last `, when(p.stats.lastRequestAt))),
    ctx.viewer.canWrite ? h("p", {}, toggle) : null, out,
    h("section", { "aria-labelledby": "tokens-title" }, h("h2", { id: "tokens-title" }, "Tokens"),
      tokens, p.enabled && ctx.viewer.canWrite ? create : null),
    h("section", { "aria-labelledby": "events-title" }, h("h2", { id: "events-title" }, "Events"),
      announce, events));
}
