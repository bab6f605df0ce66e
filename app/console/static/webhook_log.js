// One webhook endpoint: its state, its delivery log (each HTTP attempt: status, latency, error
// or the answer's first kilobyte) and redelivery of one event or a range, confirmed first.

import { gql } from "./api.js";
import { refreshBanners } from "./banner.js";
import { badge, confirmAction, errorBox, field, fill, h, notice, scroller, table, when } from "./dom.js";
import { ENDPOINT, ERRORS, endpointActions, focusSecret, renderList, secretBox, stateOf, typesOf, viewerOnly }
  from "./webhooks.js";

const ATTEMPTS = 100; // the API's most
const ATTEMPT = "at sequence statusCode latencyMs error responseExcerpt";
// There is no query for one endpoint: the list is short (an admin's handful of receivers).
const ONE = `query Log($first: Int!) { webhookEndpoints { ${ENDPOINT}
  recentAttempts(first: $first) { ${ATTEMPT} } } }`;
const REDELIVER = `mutation Redeliver($endpointId: ID!, $from: String!, $to: String!) {
  redeliverEvents(endpointId: $endpointId, fromSequence: $from, toSequence: $to) { count ${ERRORS} } }`;

const delivered = (code) => code !== null && code >= 200 && code < 300;

function outcome(a) {
  if (a.statusCode === null) return badge("no answer", "off");
  return badge(String(a.statusCode), delivered(a.statusCode) ? "ok" : "off");
}

function detail(a) {
  if (a.error) return a.error;
  return a.responseExcerpt ? h("code", {}, a.responseExcerpt) : "—";
}

export async function renderOne(view, ctx, params, id, message = null) {
  if (!ctx.viewer.canWrite) return viewerOnly(view);
  const { webhookEndpoints: list } = await gql(ONE, { first: ATTEMPTS });
  const e = list.find((found) => found.id === id);
  if (!e) {
    fill(view, h("h1", {}, "Webhook endpoint not found"), message, h("a", { href: "#/webhooks" }, "Back to webhooks"));
    return;
  }
  const reload = async (note, secret = null, gone = false) => {
    if (gone) {
      history.replaceState(null, "", "#/webhooks"); // no hashchange: the note stays shown
      await renderList(view, ctx, params, note);
    } else {
      await renderOne(view, ctx, params, id, [note, secret ? secretBox(secret) : null]);
    }
    await refreshBanners();
    if (secret) focusSecret();
  };
  const out = h("div", { id: "webhook-status" }, message);
  const redeliver = async (low, high) => {
    const one = low === high;
    const what = one ? `event ${low}` : `events ${low} to ${high}`;
    if (!(await confirmAction({ title: `Redeliver ${what}?`, action: "Redeliver",
      consequence: `${one ? "The event is" : "The events this endpoint's filter wants are"} sent to ${e.url} again, `
        + "in order per resource and signed with the current secret. The receiver sees them a second time with "
        + "the same webhook-id, so it should ignore ids it has already handled." }))) return;
    try {
      const { redeliverEvents: r } = await gql(REDELIVER, { endpointId: e.id, from: low, to: high });
      if (r.userErrors.length) fill(out, errorBox(r.userErrors));
      else await reload(notice(`Scheduled ${r.count} redelivery(ies) of ${what}.`));
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const log = scroller(table(`Delivery attempts, newest first (the last ${ATTEMPTS} at most)`,
    ["Time", "Event", "HTTP", "Latency", "Error or response", "Action"], e.recentAttempts,
    (a) => [when(a.at), a.sequence, outcome(a), `${a.latencyMs} ms`, detail(a),
      h("button", { type: "button", class: "secondary small", "aria-label": `Redeliver event ${a.sequence}`,
        onclick: () => redeliver(a.sequence, a.sequence) }, "Redeliver")],
    "No delivery attempts yet: deliveries start with the next change."));
  fill(view,
    h("p", { class: "crumbs" }, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h("h1", {}, e.url),
    h("dl", { class: "facts" },
      h("dt", {}, "State"), h("dd", { id: "webhook-state" }, stateOf(e)),
      h("dt", {}, "Sending"), h("dd", {}, badge(e.enabled ? "Enabled" : "Disabled", e.enabled ? "ok" : "warn")),
      h("dt", {}, "Last success"), h("dd", {}, when(e.lastSuccessAt)),
      h("dt", {}, "Event types"), h("dd", {}, typesOf(e)),
      h("dt", {}, "Format"), h("dd", {}, e.format),
      h("dt", {}, "Description"), h("dd", {}, e.description || "—"),
      h("dt", {}, "Previous secret signs until"), h("dd", {}, when(e.secretRotationEndsAt)),
      h("dt", {}, "Created"), h("dd", {}, when(e.createdAt))),
    e.state === "FAILING"
      ? h("p", { class: "why" }, "A delivery failed for 24 hours and was given up. Fix the receiver, then "
        + "redeliver what it missed; the next successful delivery makes the endpoint ACTIVE again.")
      : null,
    h("p", { class: "actions" }, endpointActions(e, out, reload), " ",
      h("button", { type: "button", class: "secondary small", onclick: () => reload(null) }, "Refresh")),
    out,
    h("section", { "aria-labelledby": "attempts-title" }, h("h2", { id: "attempts-title" }, "Delivery log"), log),
    redeliverForm(redeliver));
}

function redeliverForm(redeliver) {
  const low = h("input", { id: "redeliver-from", name: "from", type: "number", min: 1, step: 1, required: true });
  const high = h("input", { id: "redeliver-to", name: "to", type: "number", min: 1, step: 1,
    "aria-describedby": "redeliver-to-hint" });
  const form = h("form", { class: "inline", "aria-labelledby": "redeliver-title" },
    h("h2", { id: "redeliver-title" }, "Redeliver events"),
    h("p", { class: "hint" }, "Events are numbered by their sequence (the Event column, and the feed's cursor). "
      + "Up to 10,000 at once; events older than the retention period are gone."),
    h("div", { class: "inline-row" },
      field("From sequence", low),
      field("To sequence", high, h("p", { id: "redeliver-to-hint", class: "hint" }, "Empty: only the first."))),
    h("button", { type: "submit" }, "Redeliver"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    redeliver(low.value.trim(), high.value.trim() || low.value.trim());
  });
  return form;
}
