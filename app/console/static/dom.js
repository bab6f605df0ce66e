// Small DOM helpers. Text always goes in as text nodes, never as HTML.

/** h("a", {href: "#/x", class: "c", onclick: fn}, "text", child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace every child of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

/** A semantic table: caption, column headers, one row per item (cells from rowFn). */
export function table(caption, headers, items, rowFn, empty = "Nothing to show.") {
  const body = h("tbody", {}, items.map((item) => h("tr", {}, rowFn(item).map((c) => h("td", {}, c)))));
  if (!items.length) body.append(h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, empty)));
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
}

/** An ISO-8601 UTC timestamp as "2026-11-29 04:19:58 UTC" in a <time>. */
export function when(iso) {
  if (!iso) return "—";
  return h("time", { datetime: iso }, `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`);
}

/** A small labelled badge; kind picks the colour (local, idp, ok, off, warn). */
export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

export function providerBadge(provider) {
  return badge(provider, provider === "LOCAL" ? "local" : "idp");
}

export function statusBadge(status) {
  return badge(status, status === "ACTIVE" ? "ok" : "off");
}

/** <label> + control in a .field; extra nodes (hints) follow the control. */
export function field(label, control, ...extra) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, extra);
}

/** <select> of options; the first may be ["", "Any"]. */
export function select(id, options, selected) {
  return h(
    "select",
    { id, name: id },
    options.map(([value, label]) => h("option", { value, selected: value === (selected ?? "") }, label)),
  );
}

/** Render userErrors (or one message) under a heading in a role=alert box. */
export function errorBox(errors, heading = "Nothing was changed.") {
  const list = Array.isArray(errors) ? errors : [{ message: String(errors) }];
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, heading)),
    h(
      "ul",
      {},
      list.map((e) =>
        h(
          "li",
          {},
          e.code ? h("code", { class: "code" }, e.code) : null,
          e.code ? " " : null,
          e.message,
          e.fields?.length ? ` (fields: ${e.fields.join(", ")})` : null,
        ),
      ),
    ),
  );
}

/** Parse "#/users/ID?after=x" into {path: "/users/ID", params: URLSearchParams}. */
export function parseHash(hash) {
  const raw = hash.replace(/^#/, "") || "/users";
  const [path, query = ""] = raw.split("?");
  return { path, params: new URLSearchParams(query) };
}

/** "#/path?k=v" from a path and an object (empty values left out). */
export function link(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

/** A table in a box that scrolls sideways on narrow screens instead of widening the page. */
export function scroller(...children) {
  return h("div", { class: "scroll" }, children);
}

/** A one-line status: role=status when ok, role=alert in the error colours when not. */
export function notice(text, kind = "ok") {
  return kind === "error"
    ? h("p", { role: "alert", class: "error" }, text)
    : h("p", { role: "status", class: "ok" }, text);
}

/**
 * A modal <dialog> that states what the action does; resolves true only when confirmed.
 * With typed, the confirm button stays disabled until that exact word is typed.
 */
export function confirmAction({ title, consequence, action, typed = null }) {
  return new Promise((resolve) => {
    const input = typed
      ? h("input", { id: "confirm-typed", type: "text", autocomplete: "off", spellcheck: "false" })
      : null;
    const ok = h("button", { type: "submit", class: "danger", value: "confirm", disabled: Boolean(typed) },
      action);
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title",
      "aria-describedby": "confirm-consequence" },
    h("form", { method: "dialog" },
      h("h2", { id: "confirm-title" }, title),
      h("p", { id: "confirm-consequence" }, consequence),
      typed ? field(`Type ${typed} to confirm`, input) : null,
      h("p", { class: "actions" }, cancel, " ", ok)));
    input?.addEventListener("input", () => (ok.disabled = input.value.trim() !== typed));
    cancel.addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    (input ?? cancel).focus();
  });
}

/** Copy text to the clipboard; says whether it worked in the given status element. */
export async function copyText(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    fill(status, "Copied.");
  } catch {
    fill(status, "Copy failed: select the text and copy it by hand.");
  }
}
