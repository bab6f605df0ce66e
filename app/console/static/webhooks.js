// Webhooks (rule 20): the endpoints that receive committed changes, with their state; create
// one (its signing secret shown once), enable or disable, rotate the secret, delete. The API
// lets only OWNER and ADMIN read endpoints at all; webhook_log.js shows one endpoint's log.

import { gql } from "./api.js";
import { refreshBanners } from "./banner.js";
import { badge, confirmAction, copyText, errorBox, field, fill, h, notice, scroller, select, table, when }
  from "./dom.js";

// The EventType enum of the GraphQL schema (app/graphql/types/events.py), in its order.
export const EVENT_TYPES = ["USER_CREATED", "USER_UPDATED", "USER_DEACTIVATED", "USER_REACTIVATED",
  "USER_DELETED", "USER_RESTORED", "GROUP_CREATED", "GROUP_UPDATED", "GROUP_DELETED",
  "GROUP_MEMBERS_ADDED", "GROUP_MEMBERS_REMOVED", "ROLE_GRANTED", "ROLE_REVOKED", "TOKEN_CREATED",
  "TOKEN_REVOKED", "SETTINGS_UPDATED"];
export const ENDPOINT = `id url description eventTypes format enabled state failingSince lastSuccessAt
  secretRotationEndsAt createdAt`;
export const ERRORS = "userErrors { code field fields message }";
const LIST = `{ webhookEndpoints { ${ENDPOINT} } }`;
const CREATE = `mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT} } ${ERRORS} } }`;
const UPDATE = `mutation Update($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) { endpoint { id enabled } ${ERRORS} } }`;
const ROTATE = `mutation Rotate($id: ID!) {
  rotateWebhookSecret(id: $id) { secret endpoint { id secretRotationEndsAt } ${ERRORS} } }`;
const DELETE = `mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) { endpoint { id } ${ERRORS} } }`;

export const stateKind = { ACTIVE: "ok", FAILING: "off" };
/** USER_CREATED as the event's type is written on the feed and in deliveries: user.created. */
export const typeName = (t) => t.toLowerCase().replaceAll("_", ".");
export const hookLink = (id) => `#/webhooks/${encodeURIComponent(id)}`;
export const typesOf = (e) => (e.eventTypes.length ? e.eventTypes.map(typeName).join(", ") : "every type");

/** The state badge, with since when it is FAILING. */
export function stateOf(e) {
  return [badge(e.state, stateKind[e.state]), e.state === "FAILING" ? [" since ", when(e.failingSince)] : null];
}

/** What a VIEWER sees: the API refuses it the endpoints (their URLs can carry credentials). */
export function viewerOnly(view) {
  fill(view, h("h1", {}, "Webhooks"), h("p", { class: "hint", id: "webhooks-viewer" },
    "Webhook endpoints are managed by OWNER and ADMIN admins; a VIEWER token cannot read them."));
}

/** The new signing secret, shown once with a copy button. */
export function secretBox(secret) {
  const input = h("input", { id: "webhook-secret", type: "text", readonly: true, value: secret,
    class: "secret", "aria-describedby": "webhook-secret-hint" });
  const copied = h("span", { role: "status", id: "webhook-secret-copied" });
  return h("div", { class: "once" },
    field("Signing secret", input, h("p", { id: "webhook-secret-hint" }, h("strong", {}, "Copy it now: "),
      "it is shown only once and cannot be read again. The receiver checks each delivery's ",
      h("code", {}, "webhook-signature"), " with it.")),
    h("button", { type: "button", onclick: () => copyText(secret, copied) }, "Copy secret"), " ", copied);
}

/** Put the focus on a secret shown after a re-render, selected for copying. */
export function focusSecret() {
  const input = document.getElementById("webhook-secret");
  input?.focus();
  input?.select();
}

/** Enable/disable, rotate and delete buttons of one endpoint; done(note, secret) re-renders. */
export function endpointActions(e, out, done) {
  const act = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const toggle = act(async () => {
    const { updateWebhookEndpoint: r } = await gql(UPDATE, { input: { id: e.id, enabled: !e.enabled } });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else await done(notice(e.enabled ? `Disabled ${e.url}: its deliveries wait until it is enabled.`
      : `Enabled ${e.url}.`));
  });
  const rotate = act(async () => {
    if (!(await confirmAction({ title: `Rotate the secret of ${e.url}?`, action: "Rotate secret",
      consequence: "A new signing secret is made and shown once. The current one keeps signing beside it "
        + "for 24 hours, so the receiver can switch without losing a delivery; then only the new one signs." })))
      return;
    const { rotateWebhookSecret: r } = await gql(ROTATE, { id: e.id });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else await done(notice(`Rotated the secret of ${e.url}; the old one signs until `
      + `${r.endpoint.secretRotationEndsAt.slice(0, 16).replace("T", " ")} UTC.`), r.secret);
  });
  const remove = act(async () => {
    if (!(await confirmAction({ title: `Delete webhook endpoint ${e.url}?`, action: "Delete endpoint",
      consequence: `Nothing more is sent to ${e.url}: its pending deliveries and its delivery log are deleted. `
        + "This cannot be undone; a new endpoint starts at the newest event." }))) return;
    const { deleteWebhookEndpoint: r } = await gql(DELETE, { id: e.id });
    if (r.userErrors.length) fill(out, errorBox(r.userErrors));
    else await done(notice(`Deleted the webhook endpoint ${e.url}.`), null, true);
  });
  return h("span", { class: "actions" },
    h("button", { type: "button", class: "secondary small", "aria-label": `${e.enabled ? "Disable" : "Enable"} ${e.url}`,
      onclick: toggle }, e.enabled ? "Disable" : "Enable"),
    h("button", { type: "button", class: "secondary small", "aria-label": `Rotate the secret of ${e.url}`,
      onclick: rotate }, "Rotate secret"),
    h("button", { type: "button", class: "danger small", "aria-label": `Delete ${e.url}`, onclick: remove },
      "Delete"));
}

export async function renderList(view, ctx, params, message = null) {
  if (!ctx.viewer.canWrite) return viewerOnly(view);
  const { webhookEndpoints: list } = await gql(LIST);
  const reload = async (note, secret = null) => {
    await renderList(view, ctx, params, [note, secret ? secretBox(secret) : null]);
    await refreshBanners(); // a deleted endpoint takes its FAILING banner with it
    if (secret) focusSecret();
  };
  const out = h("div", { id: "webhooks-status" }, message);
  const rows = scroller(table("Webhook endpoints, oldest first (secrets are never shown again)",
    ["URL", "Description", "Event types", "Format", "Sending", "State", "Last success", "Action"], list,
    (e) => [h("a", { href: hookLink(e.id) }, e.url), e.description || "—", typesOf(e), e.format,
      badge(e.enabled ? "Enabled" : "Disabled", e.enabled ? "ok" : "warn"), stateOf(e), when(e.lastSuccessAt),
      endpointActions(e, out, reload)],
    "No webhook endpoints."));
  fill(view, h("h1", {}, "Webhooks"),
    h("p", { class: "hint" }, "Every committed change (the events feed) is POSTed to these URLs, signed, in order "
      + "per resource, and retried for 24 hours; an endpoint whose delivery fails that long is marked FAILING. "
      + "Open an endpoint's URL for its delivery log and to redeliver events."),
    out, rows, createForm(reload));
}

function createForm(reload) {
  const url = h("input", { id: "webhook-url", name: "url", type: "url", required: true,
    placeholder: "https://hooks.example.com/roster", "aria-describedby": "webhook-url-hint" });
  const description = h("input", { id: "webhook-description", name: "description", type: "text",
    maxlength: 255 });
  const format = select("webhook-format", [["JSON", "JSON (the event document)"],
    ["SET", "SET (Security Event Token)"]], "JSON");
  const boxes = EVENT_TYPES.map((t) => h("input", { type: "checkbox", id: `webhook-type-${t}`, value: t }));
  const created = h("div", { id: "new-webhook" });
  const form = h("form", { class: "inline", "aria-labelledby": "new-webhook-title" },
    h("h2", { id: "new-webhook-title" }, "New webhook endpoint"),
    h("div", { class: "grid" },
      field("URL", url, h("p", { id: "webhook-url-hint", class: "hint" },
        "http or https; private and loopback addresses are refused unless the operator allows them.")),
      field("Description", description), field("Format", format)),
    h("fieldset", { class: "types" }, h("legend", {}, "Event types (none checked: every type)"),
      h("ul", { class: "roles" }, boxes.map((box) => h("li", {},
        h("label", { class: "check", for: box.id }, box, typeName(box.value)))))),
    h("button", { type: "submit" }, "Create endpoint"), created);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { url: url.value.trim(), description: description.value.trim(), format: format.value,
      eventTypes: boxes.filter((b) => b.checked).map((b) => b.value) };
    try {
      const { createWebhookEndpoint: r } = await gql(CREATE, { input });
      if (r.userErrors.length) fill(created, errorBox(r.userErrors));
      else await reload(notice(`Created the webhook endpoint ${r.endpoint.url}.`), r.secret);
    } catch (err) {
      fill(created, errorBox(err.message));
    }
  });
  return form;
}
