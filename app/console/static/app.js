// Roster admin console: sign-in, navigation, the live provisioning feed, and the router.

import { gql, subscribe, token } from "./api.js";
import { errorBox, fill, h, parseHash } from "./dom.js";
import * as audit from "./audit.js";
import { refreshBanners } from "./banner.js";
import * as groups from "./groups.js";
import * as held from "./held.js";
import { forgetNames } from "./names.js";
import * as profileEditor from "./profile_editor.js";
import * as provisioning from "./provisioning.js";
import * as settings from "./settings.js";
import * as tokens from "./tokens.js";
import * as user from "./user.js";
import * as users from "./users.js";
import * as webhookLog from "./webhook_log.js";
import * as webhooks from "./webhooks.js";

const ROUTES = [
  [/^\/users$/, users.render, "Users"],
  [/^\/users\/([^/]+)$/, user.render, "User"],
  [/^\/groups$/, groups.renderList, "Groups"],
  [/^\/groups\/([^/]+)$/, groups.renderOne, "Group"],
  [/^\/authentication$/, settings.render, "Authentication"],
  [/^\/provisioning$/, provisioning.render, "Provisioning"],
  [/^\/held-writes$/, held.render, "Held writes"],
  [/^\/tokens$/, tokens.render, "Admin API tokens"],
  [/^\/webhooks$/, webhooks.renderList, "Webhooks"],
  [/^\/webhooks\/([^/]+)$/, webhookLog.renderOne, "Webhook endpoint"],
  [/^\/profile-editor$/, profileEditor.render, "Profile Editor"],
  [/^\/audit$/, audit.render, "Audit log"],
];

const EVENT_FIELDS = `id at tokenId method resourceType resourceId resourceNodeId externalId outcome
  statusCode errorDetail durationMs`;
const LIVE = `subscription { provisioningEvents { ${EVENT_FIELDS} } }`;

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const session = document.getElementById("session");
const liveState = document.getElementById("live");
const listeners = new Set();
let viewer = null;
let stopLive = null;
let leave = [];

/** What every view receives. */
const ctx = {
  get viewer() {
    return viewer;
  },
  eventFields: EVENT_FIELDS,
  /** Call fn(event) for each live provisioning event while this view is shown. */
  onEvent(fn) {
    listeners.add(fn);
    leave.push(() => listeners.delete(fn));
  },
  onLeave(fn) {
    leave.push(fn);
  },
};

function setLive(state) {
  const text = {
    connecting: "Live events: connecting…",
    live: "Live events: on",
    reconnecting: "Live events: reconnecting…",
    refused: "Live events: refused",
    off: "Live events: off",
  }[state];
  liveState.textContent = text;
  liveState.dataset.state = state;
}

function startLive() {
  stopLive?.();
  stopLive = subscribe(LIVE, {}, {
    onState: setLive,
    onNext: (payload) => {
      const event = payload?.data?.provisioningEvents;
      if (event) for (const fn of [...listeners]) fn(event);
    },
  });
}

function signOut(message) {
  token.clear();
  viewer = null;
  stopLive?.();
  stopLive = null;
  setLive("off");
  nav.hidden = true;
  session.hidden = true;
  fill(document.getElementById("banners"));
  renderSignIn(message);
}

function renderSignIn(message) {
  for (const fn of leave.splice(0)) fn();
  document.title = "Sign in · Roster";
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-hint",
  });
  const status = h("div", { id: "signin-status" }, message ? errorBox(message, "Sign-in failed.") : null);
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in to Roster"),
    h("div", { class: "field" }, h("label", { for: "token" }, "Admin API token"), input),
    h(
      "p",
      { id: "token-hint", class: "hint" },
      "Paste a token from ",
      h("code", {}, "roster token create-admin --login you@example.com"),
      ". It is kept in this browser tab only (sessionStorage) and sent only to this server.",
    ),
    h("button", { type: "submit" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    fill(status, h("p", { role: "status" }, "Checking the token…"));
    if (await loadViewer(status)) route();
  });
  fill(main, form);
  input.focus();
}

async function loadViewer(status) {
  try {
    const data = await gql("{ viewer { userId loginId roles canWrite isOwner } }");
    viewer = data.viewer;
  } catch (err) {
    token.clear();
    if (status) fill(status, errorBox(err.message, "Sign-in failed."));
    return false;
  }
  document.getElementById("who").textContent = `${viewer.loginId} (${viewer.roles.join(", ")})`;
  nav.hidden = false;
  session.hidden = false;
  startLive();
  return true;
}

async function route() {
  if (!viewer) return;
  const { path, params } = parseHash(location.hash);
  for (const fn of leave.splice(0)) fn();
  forgetNames();
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  if (!found) {
    location.hash = "#/users";
    return;
  }
  const [pattern, render, title] = found;
  const args = path.match(pattern).slice(1).map(decodeURIComponent);
  const section = path.split("/")[1];
  for (const a of nav.querySelectorAll("a")) {
    if (a.getAttribute("href") === `#/${section}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${title} · Roster`;
  const view = h("div", { class: "view" });
  fill(main, view);
  refreshBanners();
  try {
    await render(view, ctx, params, ...args);
  } catch (err) {
    fill(view, h("h1", {}, title), errorBox(err.message, "This page could not be loaded."));
  }
  // Move focus to the new view's heading so keyboard and screen-reader users land on it.
  if (document.activeElement === document.body || !main.contains(document.activeElement)) {
    const heading = view.querySelector("h1");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus({ preventScroll: true });
  }
}

document.getElementById("signout").addEventListener("click", () => signOut());
window.addEventListener("roster:unauthorized", (event) =>
  signOut(`The token was refused: ${event.detail ?? "sign in again"}`),
);
window.addEventListener("hashchange", () => {
  if (location.hash.startsWith("#/")) route();
});
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

setLive("off");
if (token.get() && (await loadViewer(null))) route();
else renderSignIn();
