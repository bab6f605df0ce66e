// The Profile Editor: the attribute catalogue, who masters each attribute for IdP-owned users
// (source priority), whether it is shown (status), and custom attributes (create, edit, delete).

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { badge, confirmAction, errorBox, field, fill, h, notice, scroller, select, table } from "./dom.js";

const ATTR = `name displayName datatype description builtin sourcePriority status alwaysVisible
  scimPath version`;
const ERRORS = "userErrors { code field fields message }";
const LIST = `{ profileAttributes { ${ATTR} } }`;
const UPDATE = `mutation Update($input: UpdateProfileAttributeInput!) {
  updateProfileAttribute(input: $input) { profileAttribute { ${ATTR} } ${ERRORS} } }`;
const CREATE = `mutation Create($input: CreateCustomAttributeInput!) {
  createCustomAttribute(input: $input) { profileAttribute { ${ATTR} } ${ERRORS} } }`;
const DELETE = `mutation Delete($input: DeleteCustomAttributeInput!) {
  deleteCustomAttribute(input: $input) { profileAttribute { name } ${ERRORS} } }`;

const PRIORITIES = [["INHERIT_FROM_IDP", "Inherit from the IdP"], ["INHERIT_FROM_LOCAL", "Local (Roster masters it)"]];
const STATUSES = [["VISIBLE", "Visible"], ["HIDDEN", "Hidden"]];
const DATATYPES = [["STRING", "String"], ["NUMBER", "Number"], ["STRING_ARRAY", "List of strings"],
  ["IDENTIFIER", "Identifier"]];

export async function render(view, ctx, params, message = null, editing = null) {
  const { profileAttributes: attrs } = await gql(LIST);
  const reload = (note, name = null) => render(view, ctx, params, note, name);
  const editor = h("div", { id: "attr-editor" });
  const out = h("div", { id: "profile-editor-status" }, message);
  const edit = (a) => {
    fill(editor, editForm(a, reload));
    editor.querySelector("input")?.focus();
  };
  fill(view, h("h1", {}, "Profile Editor"),
    h("p", { class: "hint" }, "Source priority decides who masters an attribute of IdP-owned users: "
      + "inherited from the IdP, it is locked in Roster and SCIM writes it; local, Roster masters it "
      + "and SCIM writes to it are ignored. Hidden attributes are never exported over SCIM and "
      + "their values are withheld from VIEWERs."),
    out,
    scroller(table(`Attributes (${attrs.length}), in display order`,
      ["Attribute", "Type", "Source priority", "Status", "Kind", "SCIM path", "Action"], attrs, (a) => [
        [a.displayName, h("br"), h("code", {}, a.name)], a.datatype,
        badge(a.sourcePriority === "INHERIT_FROM_IDP" ? "IdP" : "Local",
          a.sourcePriority === "INHERIT_FROM_IDP" ? "idp" : "local"),
        badge(a.status === "VISIBLE" ? "Visible" : "Hidden", a.status === "VISIBLE" ? "ok" : "warn"),
        a.builtin ? "built in" : "custom", a.scimPath ? h("code", {}, a.scimPath) : "—",
        ctx.viewer.canWrite ? h("button", { type: "button", class: "secondary small",
          "aria-label": `Edit ${a.name}`, onclick: () => edit(a) }, "Edit") : ""])),
    editor,
    ctx.viewer.canWrite ? createForm(reload) : null);
  const open = attrs.find((a) => a.name === editing);
  if (open) edit(open);
}

/** Mark the inputs a userError names as invalid, then show the errors. */
function refuse(out, inputs, errors) {
  for (const el of Object.values(inputs)) el.removeAttribute("aria-invalid");
  for (const e of errors) for (const name of e.fields) inputs[name]?.setAttribute("aria-invalid", "true");
  fill(out, errorBox(errors));
}

function editForm(a, reload) {
  const inputs = {
    displayName: h("input", { id: "attr-label", type: "text", value: a.displayName }),
    description: h("input", { id: "attr-description", type: "text", value: a.description }),
    sourcePriority: select("attr-priority", PRIORITIES, a.sourcePriority),
    status: select("attr-status", STATUSES, a.status),
  };
  if (a.alwaysVisible) inputs.status.setAttribute("aria-describedby", "attr-status-hint");
  const out = h("div", { id: "attr-editor-status" });
  const form = h("form", { class: "inline", "aria-labelledby": "attr-editor-title" },
    h("h2", { id: "attr-editor-title" }, `Edit ${a.displayName} (${a.name})`),
    h("div", { class: "grid" },
      field("Label", inputs.displayName), field("Description", inputs.description),
      field("Source priority", inputs.sourcePriority),
      field("Status", inputs.status, a.alwaysVisible
        ? h("p", { id: "attr-status-hint", class: "hint" }, "The system needs it: always visible.") : null)),
    h("p", { class: "hint" }, `Name and datatype (${a.datatype}) never change.`),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "Save attribute"),
      a.builtin ? null : [" ", h("button", { type: "button", class: "danger", onclick: () => remove(a, out, reload) },
        "Delete attribute…")]),
    out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { name: a.name };
    for (const [key, el] of Object.entries(inputs)) if (el.value !== a[key]) input[key] = el.value;
    if (Object.keys(input).length === 1) {
      fill(out, notice("No changes to save."));
      return;
    }
    try {
      const { updateProfileAttribute: r } = await gql(UPDATE, { input });
      if (r.userErrors.length) refuse(out, inputs, r.userErrors);
      else await reload(notice(`Saved ${r.profileAttribute.name}.`), a.name);
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  });
  return form;
}

async function remove(a, out, reload) {
  const ok = await confirmAction({ title: `Delete ${a.displayName}?`, action: "Delete attribute",
    consequence: `The custom attribute ${a.name} is removed from the catalogue, and every user's value `
      + "of it is deleted. SCIM no longer accepts it. This cannot be undone." });
  if (!ok) return;
  await mutate(out, DELETE, { input: { name: a.name } }, () => reload(notice(`Deleted ${a.name}.`)));
}

function createForm(reload) {
  const inputs = {
    variableName: h("input", { id: "new-attr-name", type: "text", required: true, autocomplete: "off",
      "aria-describedby": "new-attr-name-hint" }),
    displayName: h("input", { id: "new-attr-label", type: "text", required: true }),
    datatype: select("new-attr-type", DATATYPES, "STRING"),
    description: h("input", { id: "new-attr-description", type: "text" }),
  };
  const out = h("div", { id: "new-attr-status" });
  const form = h("form", { class: "inline", "aria-labelledby": "new-attr-title" },
    h("h2", { id: "new-attr-title" }, "New custom attribute"),
    h("div", { class: "grid" },
      field("Variable name", inputs.variableName, h("p", { id: "new-attr-name-hint", class: "hint" },
        "Letters, digits and _; it never changes.")),
      field("Label", inputs.displayName), field("Datatype", inputs.datatype),
      field("Description", inputs.description)),
    h("button", { type: "submit" }, "Create attribute"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    try {
      const { createCustomAttribute: r } = await gql(CREATE, { input });
      if (r.userErrors.length) refuse(out, inputs, r.userErrors);
      else await reload(notice(`Created ${r.profileAttribute.name}.`), r.profileAttribute.name);
    } catch (err) {
      fill(out, errorBox(err.message));
    }
  });
  return form;
}
