// Held writes (rule 19): what the deprovisioning guard kept back, released or discarded here
// after a confirmation that states the consequence.

import { gql } from "./api.js";
import { refreshBanners } from "./banner.js";
import { badge, confirmAction, errorBox, fill, h, notice, scroller, when } from "./dom.js";
import { userLink } from "./users.js";

const GUARD = "state threshold window counted heldCount trippedAt";
const HELD = `id kind method resourceId heldAt lastSentAt repeats position
  user { id loginId } group { id displayName } token { name }`;
const QUERY = `{ provisioning { guard { ${GUARD} } heldWrites(first: 100) { totalCount nodes { ${HELD} } } } }`;
const ERRORS = "userErrors { code field fields message }";
const RELEASE = `mutation Release($input: HeldWritesInput) { releaseHeldWrites(input: $input) {
  outcomes { applied error heldWrite { id kind user { loginId } group { displayName } } } ${ERRORS} } }`;
const DISCARD = `mutation Discard($input: HeldWritesInput) { discardHeldWrites(input: $input) {
  discarded { id } ${ERRORS} } }`;

const WHAT = { DEACTIVATE_USER: "Deactivate user", DELETE_USER: "Delete user", REMOVE_MEMBERS: "Remove members" };

export const guardKind = { ARMED: "ok", TRIPPED: "off", OFF: "warn" };

function target(w) {
  if (w.user) return h("a", { href: userLink(w.user.id) }, w.user.loginId);
  if (w.group) return h("a", { href: `#/groups/${encodeURIComponent(w.group.id)}` }, w.group.displayName);
  return `${w.resourceId} (gone)`;
}

function label(w) {
  return `${WHAT[w.kind] ?? w.kind} ${w.user?.loginId ?? w.group?.displayName ?? w.resourceId}`;
}

/** What applying these writes will do, counted by kind. */
function consequence(writes) {
  const n = (kind) => writes.filter((w) => w.kind === kind).length;
  return `${writes.length} held write(s) will be applied now, in the order the IdP sent them: `
    + `${n("DEACTIVATE_USER")} deactivation(s), ${n("DELETE_USER")} deletion(s), `
    + `${n("REMOVE_MEMBERS")} member removal(s) from role-granting groups. Users lose their access `
    + "at once. A write that no longer applies (its user was deleted meanwhile) is reported, not forced.";
}

export async function render(view, ctx, params = null, message = null) {
  const { provisioning: p } = await gql(QUERY);
  const reload = async (note) => {
    await render(view, ctx, params, note);
    await refreshBanners(); // the guard may have re-armed
  };
  const out = h("div", { id: "held-status" }, message);
  const writes = p.heldWrites.nodes;
  const boxes = new Map();
  const chosen = () => writes.filter((w) => boxes.get(w.id)?.checked);
  const act = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  };
  const release = (all) => act(async () => {
    const picked = all ? writes : chosen();
    if (!picked.length) return fill(out, notice("Select at least one held write.", "error"));
    const title = all ? "Release every held write?" : `Release ${picked.length} held write(s)?`;
    if (!(await confirmAction({ title, action: "Release", consequence: consequence(picked),
      typed: all ? "RELEASE" : null }))) return;
    const input = all ? null : { ids: picked.map((w) => w.id) };
    const { releaseHeldWrites: r } = await gql(RELEASE, { input });
    if (r.userErrors.length) return fill(out, errorBox(r.userErrors));
    const failed = r.outcomes.filter((o) => !o.applied);
    await reload(h("div", { role: "status", class: "ok" },
      h("p", {}, `Released: ${r.outcomes.length - failed.length} applied, ${failed.length} not applied.`),
      failed.length ? h("ul", {}, failed.map((o) => h("li", {}, `${label(o.heldWrite)}: ${o.error}`))) : null));
  });
  const discard = (all) => act(async () => {
    const picked = all ? writes : chosen();
    if (!picked.length) return fill(out, notice("Select at least one held write.", "error"));
    const title = all ? "Discard every held write?" : `Discard ${picked.length} held write(s)?`;
    if (!(await confirmAction({ title, action: "Discard", typed: all ? "DISCARD" : null,
      consequence: `${picked.length} held write(s) are dropped and never applied: the users stay as they are. `
        + "The IdP believes they succeeded, so it will not send them again until its next full sync; "
        + "fix the assignment in the IdP first." }))) return;
    const input = all ? null : { ids: picked.map((w) => w.id) };
    const { discardHeldWrites: r } = await gql(DISCARD, { input });
    if (r.userErrors.length) return fill(out, errorBox(r.userErrors));
    await reload(notice(`Discarded ${r.discarded.length} held write(s).`));
  });

  const rows = writes.map((w) => {
    const box = h("input", { type: "checkbox", "aria-label": `Select: ${label(w)}` });
    boxes.set(w.id, box);
    return h("tr", {}, [ctx.viewer.canWrite ? box : "", String(w.position), when(w.heldAt),
      WHAT[w.kind] ?? w.kind, target(w), w.token?.name ?? "—", `${w.method}${w.repeats ? ` (+${w.repeats} repeats)` : ""}`]
      .map((c) => h("td", {}, c)));
  });
  const list = h("table", {}, h("caption", {}, `Held writes, in the order the IdP sent them (${p.heldWrites.totalCount})`),
    h("thead", {}, h("tr", {}, ["", "#", "Held at", "Would", "User or group", "Token", "Sent as"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "Nothing is held."))));
  const g = p.guard;
  const buttons = ctx.viewer.canWrite && writes.length ? h("p", { class: "actions" },
    h("button", { type: "button", onclick: release(false) }, "Release selected"), " ",
    h("button", { type: "button", class: "danger", onclick: discard(false) }, "Discard selected"), " ",
    h("button", { type: "button", onclick: release(true) }, "Release all"), " ",
    h("button", { type: "button", class: "danger", onclick: discard(true) }, "Discard all")) : null;
  fill(view, h("h1", {}, "Held writes"),
    h("dl", { class: "facts" },
      h("dt", {}, "Deprovisioning guard"), h("dd", { id: "guard-state" }, badge(g.state, guardKind[g.state])),
      h("dt", {}, "Tripped at"), h("dd", {}, when(g.trippedAt)),
      h("dt", {}, "Threshold"), h("dd", {}, `${g.threshold} destructive writes per ${g.window} minutes (${g.counted} applied in the window)`),
      h("dt", {}, "Held"), h("dd", {}, String(g.heldCount))),
    h("p", { class: "hint" }, "The IdP was told these writes succeeded. Check the IdP (a group unassigned from the app, "
      + "a sync rule) before releasing them; the guard re-arms once nothing is held."),
    out, buttons, scroller(list));
}
