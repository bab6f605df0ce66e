// The audit log: every admin and SCIM write, newest first, filtered and paged.

import { gql } from "./api.js";
import { field, fill, h, link, table, when } from "./dom.js";

const QUERY = `query Audit($filter: AuditLogFilter, $after: String) {
  auditLog(filter: $filter, first: 25, after: $after) {
    nodes { id at actorType actorLabel action targetType targetLabel targetId reason
            changes { field before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

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
  fill(view, h("h1", {}, "Audit log"), form,
    table("Audit entries, newest first", ["Time", "Actor", "Action", "Target", "Changes", "Reason"],
      auditLog.nodes, (e) => [when(e.at), `${e.actorLabel} (${e.actorType})`, h("code", {}, e.action),
        `${e.targetType} ${e.targetLabel ?? e.targetId ?? ""}`,
        e.changes.length
          ? h("ul", { class: "changes" }, e.changes.map((c) =>
            h("li", {}, h("code", {}, c.field), `: ${show(c.before)} → ${show(c.after)}`)))
          : "—",
        e.reason ?? ""], "No entries match."),
    h("nav", { class: "pager", "aria-label": "Audit log pages" },
      h("button", { type: "button", disabled: !params.get("after"),
        onclick: () => (location.hash = link("/audit", base)) }, "Newest"),
      h("button", { type: "button", disabled: !auditLog.pageInfo.hasNextPage,
        onclick: () => (location.hash = link("/audit", { ...base, after: auditLog.pageInfo.endCursor })) },
      "Older entries →")));
}
