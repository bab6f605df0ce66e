// The audit log: every admin and SCIM write, newest first, filtered and paged.

import { gql } from "./api.js";
import { field, fill, h, link, scroller, table, when } from "./dom.js";
import { globalId, namesOf } from "./names.js";

const QUERY = `query Audit($filter: AuditLogFilter, $after: String) {
  auditLog(filter: $filter, first: 25, after: $after) {
    nodes { id at actorType actorLabel action targetType targetLabel targetId reason
            changes { field before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const NODE_TYPES = new Set(["User", "Group", "ScimToken", "ApiToken"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const nodeId = (type, raw) => (NODE_TYPES.has(type) && UUID.test(raw ?? "") ? globalId(type, raw) : null);
const PAGES = { User: "#/users/", Group: "#/groups/" };

/** The target as a name (its label, else resolved in the batch), linked when it has a page. */
function targetCell(e, names) {
  const id = nodeId(e.targetType, e.targetId);
  const name = e.targetLabel ?? names.get(id) ?? (e.targetId ? "(deleted)" : "");
  const shown = PAGES[e.targetType] && names.has(id)
    ? h("a", { href: PAGES[e.targetType] + encodeURIComponent(id) }, name) : name;
  return [h("span", { class: "meta" }, `${e.targetType} `), shown];
}

const show = (value) => (value === null || value === undefined ? "∅" : JSON.stringify(value));

export async function render(view, ctx, params) {
  const inputs = ["action", "actor", "target"].map((name) =>
    h("input", { id: `audit-${name}`, name, type: "text", value: params.get(name) ?? "" }));
  const [action, actor, target] = inputs;
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter the audit log" },
    field("Action (e.g. user. for a prefix)", action), field("Actor", actor), field("Target", target),
    h("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = link("/audit", Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])));
  });
  const filter = Object.fromEntries(inputs.map((i) => [i.name, params.get(i.name) || null]));
  const { auditLog } = await gql(QUERY, { filter, after: params.get("after") || null });
  const base = Object.fromEntries(inputs.map((i) => [i.name, params.get(i.name)]));
  // Every target on the page in one batched query; links only for records that still exist.
  const names = await namesOf(auditLog.nodes.map((e) => nodeId(e.targetType, e.targetId)))
    .catch(() => new Map());
  fill(view, h("h1", {}, "Audit log"), form,
    scroller(table("Audit entries, newest first", ["Time", "Actor", "Action", "Target", "Changes", "Reason"],
      auditLog.nodes, (e) => [when(e.at), [e.actorLabel, " ", h("span", { class: "meta" }, `(${e.actorType})`)],
        h("code", {}, e.action), targetCell(e, names),
        e.changes.length
          ? h("ul", { class: "changes" }, e.changes.map((c) =>
            h("li", {}, h("code", {}, c.field), `: ${show(c.before)} → ${show(c.after)}`)))
          : "—",
        e.reason ?? ""], "No entries match.")),
    h("nav", { class: "pager", "aria-label": "Audit log pages" },
      h("button", { type: "button", disabled: !params.get("after"),
        onclick: () => (location.hash = link("/audit", base)) }, "Newest"),
      h("button", { type: "button", disabled: !auditLog.pageInfo.hasNextPage,
        onclick: () => (location.hash = link("/audit", { ...base, after: auditLog.pageInfo.endCursor })) },
      "Older entries →")));
}
