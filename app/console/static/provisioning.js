// Provisioning: on/off, SCIM tokens (secret shown once), counters, and the live event log.

import { gql } from "./api.js";
import { badge, confirmAction, copyText, errorBox, field, fill, h, notice, scroller, table, when }
  from "./dom.js";
import { HEALTH, HEALTH_TOKEN, healthTable, writesChart } from "./health.js";
import { guardKind } from "./held.js";
import { namesOf } from "./names.js";
import { userLink } from "./users.js";

const TOKEN = "id name hint state createdBy createdAt expiresAt revokedAt lastUsedAt";
const QUERY = (eventFields) => `{ provisioning {
  enabled scimBaseUrl tokens { ${TOKEN} ${HEALTH_TOKEN} } ${HEALTH}
  guard { state threshold window counted heldCount trippedAt }
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

/** One event row; names maps resource and token global ids to their names. */
function eventRow(e, names) {
  const label = names.get(e.resourceNodeId) ?? e.externalId ?? e.resourceId ?? "—";
  const href = e.resourceType === "User" ? userLink(e.resourceNodeId ?? "")
    : `#/groups/${encodeURIComponent(e.resourceNodeId ?? "")}`;
  const target = names.has(e.resourceNodeId) ? h("a", { href }, label) : label;
  const row = [when(e.at), e.method, e.resourceType, target, names.get(e.tokenId) ?? "—",
    badge(e.outcome, outcomeKind[e.outcome]), String(e.statusCode), e.errorDetail ?? "",
    `${e.durationMs.toFixed(1)} ms`];
  return h("tr", {}, row.map((c) => h("td", {}, c)));
}

/** Names of the events' resources (one batched query) and tokens (from the token list). */
async function eventNames(events, tokens) {
  const names = await namesOf(events.map((e) => e.resourceNodeId)).catch(() => new Map());
  for (const t of tokens) names.set(t.id, t.name);
  return names;
}

export async function render(view, ctx, params = null, message = null) {
  const { provisioning: p } = await gql(QUERY(ctx.eventFields));
  const reload = (note = null) => render(view, ctx, params, note);
  const out = h("div", { id: "provisioning-status" }, message);
  const act = (fn) => async (event) => {
    event?.preventDefault();
    try {
      await fn();
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const counts = (list) => list.map((c) => `${c.authProvider} ${c.count}`).join(", ") || "none";

  const toggle = h("button", { type: "button", class: p.enabled ? "danger" : null, onclick: act(async () => {
    const active = p.tokens.filter((t) => t.state === "ACTIVE").length;
    if (p.enabled && !(await confirmAction({ title: "Disable provisioning?", action: "Disable provisioning",
      typed: "DISABLE",
      consequence: `Every SCIM token is revoked now (${active} active): the IdP's pushes fail from this `
        + "moment until provisioning is enabled again and the IdP is given a new token. Users and "
        + "groups stay as they are." }))) return;
    const { setProvisioningEnabled: r } = await gql(ENABLE, { input: { enabled: !p.enabled } });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else await reload(notice(`Provisioning ${p.enabled ? "disabled: every SCIM token was revoked" : "enabled"}.`));
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
    const copied = h("span", { role: "status", id: "token-copied" });
    const secret = h("input", { id: "token-secret", type: "text", readonly: true, value: r.secret,
      class: "secret", "aria-describedby": "token-secret-hint" });
    fill(created, h("div", { class: "once", role: "status" },
      field("Token secret", secret, h("p", { id: "token-secret-hint" }, h("strong", {}, "Copy it now: "),
        "it is shown only once and cannot be read again. Give it to the IdP with the SCIM base URL.")),
      h("button", { type: "button", onclick: () => copyText(r.secret, copied) }, "Copy"), " ", copied));
    secret.focus();
    secret.select();
    tokensBody.prepend(tokenRow(r.scimToken));
  }));

  const tokenRow = (t) => h("tr", {},
    [t.name, `…${t.hint}`, badge(t.state, t.state === "ACTIVE" ? "ok" : "off"), when(t.createdAt),
      when(t.expiresAt), when(t.lastUsedAt),
      t.state === "ACTIVE" && ctx.viewer.canWrite
        ? h("button", { type: "button", class: "danger small", "aria-label": `Revoke token ${t.name} …${t.hint}`, onclick: act(async () => {
          if (!(await confirmAction({ title: `Revoke SCIM token ${t.name}?`, action: "Revoke token",
            consequence: `The IdP using ${t.name} (…${t.hint}) can no longer provision: its next `
              + "SCIM request is refused with 401. This cannot be undone; create a new token instead." }))) return;
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
    ["Time", "Method", "Type", "Resource", "Token", "Outcome", "HTTP", "Detail", "Took"], [], () => [], "");
  const eventsBody = events.tBodies[0];
  const names = await eventNames(p.events.nodes, p.tokens);
  fill(eventsBody, p.events.nodes.map((e) => eventRow(e, names)));
  const announce = h("p", { id: "events-live", class: "notice", "aria-live": "polite" },
    "Waiting for live events…");
  ctx.onEvent(async (e) => {
    const known = await eventNames([e], p.tokens);
    eventsBody.prepend(eventRow(e, known));
    announce.textContent = `${e.method} ${e.resourceType} ${known.get(e.resourceNodeId) ?? e.externalId ?? e.resourceId ?? ""}: `
      + `${e.outcome} (${e.statusCode}).`;
    announce.classList.toggle("failed", e.outcome === "ERROR");
  });

  fill(view, h("h1", {}, "Provisioning"),
    h("dl", { class: "facts" },
      h("dt", {}, "SCIM provisioning"), h("dd", { id: "provisioning-enabled" },
        badge(p.enabled ? "Enabled" : "Disabled", p.enabled ? "ok" : "off")),
      h("dt", {}, "SCIM base URL"), h("dd", {}, h("code", {}, p.scimBaseUrl)),
      h("dt", {}, "Users by owner"), h("dd", {}, counts(p.stats.usersByProvider)),
      h("dt", {}, "Groups by owner"), h("dd", {}, counts(p.stats.groupsByProvider)),
      h("dt", {}, "Deprovisioning guard"), h("dd", { id: "guard-summary" },
        badge(p.guard.state, guardKind[p.guard.state]),
        ` ${p.guard.counted} of ${p.guard.threshold} destructive writes in ${p.guard.window} min; ${p.guard.heldCount} held `,
        h("a", { href: "#/held-writes" }, "Review held writes")),
      h("dt", {}, "SCIM writes, last 24 h"),
      h("dd", {}, `${p.stats.requestsLast24h} (${p.stats.errorsLast24h} failed), last `, when(p.stats.lastRequestAt))),
    ctx.viewer.canWrite ? h("p", {}, toggle) : null, out,
    h("section", { "aria-labelledby": "tokens-title" }, h("h2", { id: "tokens-title" }, "Tokens"),
      scroller(tokens), p.enabled && ctx.viewer.canWrite ? create : null),
    h("section", { "aria-labelledby": "health-title" }, h("h2", { id: "health-title" }, "Health"),
      h("p", {}, `${p.health.requestCount24h} SCIM requests in the last 24 h, ${p.health.errorCount24h} failed; `
        + "connection test by the IdP last seen ", when(p.health.connectionTestedAt), "."),
      scroller(healthTable(p.tokens.filter((t) => t.state === "ACTIVE"))), writesChart(p.health.series)),
    h("section", { "aria-labelledby": "events-title" }, h("h2", { id: "events-title" }, "Events"),
      announce, scroller(events)));
}
