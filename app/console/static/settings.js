// Authentication settings: the one IdP (or INTERNAL) and its non-secret settings.

import { gql } from "./api.js";
import { mutate } from "./mutate.js";
import { field, fill, h, select, when } from "./dom.js";
import { PROVIDERS } from "./users.js";

const SETTINGS = "type displayName config secretNames hasSecret provider version updatedAt";
const QUERY = `{ authenticationSettings { ${SETTINGS} } }`;
const CONFIGURE = `mutation Configure($input: ConfigureAuthenticationInput!) {
  configureAuthentication(input: $input) {
    authenticationSettings { ${SETTINGS} } userErrors { code field fields message }
  }
}`;
const CONFIG_KEYS = [["issuer", "Issuer"], ["metadataUrl", "Metadata URL"], ["clientId", "Client id"],
  ["ssoUrl", "SSO URL"], ["entityId", "Entity id"], ["domain", "Domain"]];

export async function render(view, ctx) {
  const { authenticationSettings } = await gql(QUERY);
  show(view, ctx, authenticationSettings);
}

function show(view, ctx, s, notice = null) {
  const type = select("auth-type", [["INTERNAL", "INTERNAL (no IdP)"],
    ...PROVIDERS.filter((p) => p !== "LOCAL").map((p) => [p, p])], s.type);
  const label = h("input", { id: "auth-label", type: "text", value: s.displayName ?? "" });
  const config = CONFIG_KEYS.map(([key, name]) =>
    [key, h("input", { id: `auth-${key}`, type: "text", value: s.config[key] ?? "" }), name]);
  const secret = h("input", { id: "auth-secret", type: "password", autocomplete: "new-password",
    "aria-describedby": "auth-secret-hint" });
  const out = h("div", { id: "auth-status" }, notice);
  const form = h("form", { "aria-labelledby": "auth-form-title" },
    h("h2", { id: "auth-form-title" }, "Change"),
    field("Authentication type", type), field("IdP label", label),
    h("div", { class: "grid" }, config.map(([, input, name]) => field(name, input))),
    field("Client secret", secret, h("p", { id: "auth-secret-hint", class: "hint" },
      "Write-only: leave empty to keep the stored one.")),
    h("button", { type: "submit" }, "Save authentication settings"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = {
      type: type.value,
      displayName: label.value.trim() || null,
      config: Object.fromEntries(config.map(([key, el]) => [key, el.value.trim() || null])),
    };
    if (secret.value) input.secrets = { clientSecret: secret.value };
    await mutate(out, CONFIGURE, { input }, (r) => show(view, ctx, r.authenticationSettings,
      h("p", { role: "status", class: "ok" }, `Saved: authentication is ${r.authenticationSettings.type}.`)));
  });
  const entries = Object.entries(s.config);
  fill(view, h("h1", {}, "Authentication"),
    h("dl", { class: "facts" },
      h("dt", {}, "Type"), h("dd", { id: "auth-current" }, s.type),
      h("dt", {}, "IdP label"), h("dd", {}, s.displayName ?? "—"),
      h("dt", {}, "Owner of SCIM-created users and groups"), h("dd", {}, s.provider),
      h("dt", {}, "Settings"), h("dd", {}, entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(", ") : "—"),
      h("dt", {}, "Secrets set"), h("dd", {}, s.secretNames.join(", ") || "none"),
      h("dt", {}, "Version"), h("dd", {}, `${s.version}, changed `, when(s.updatedAt))),
    h("p", { class: "hint" }, "Leaving an IdP that still owns users or groups is refused (IDP_LOCKED) until they are converted to local or deleted."),
    ctx.viewer.canWrite ? form : null);
}
