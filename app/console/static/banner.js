// Banners shown above every page: the deprovisioning guard has tripped; a webhook endpoint is
// FAILING; SCIM tokens about to expire.

import { gql } from "./api.js";
import { fill, h, when } from "./dom.js";

const SOON = "{ provisioning { health { expiringSoon { name hint expiresAt } } } }";
const GUARD = "{ provisioning { guard { state heldCount trippedAt } } }";
const HOOKS = "{ webhookEndpoints { id url state failingSince } }"; // refused to a VIEWER: no banner
const area = document.getElementById("banners");

/** A query's data, or null when it fails (e.g. a role that may not read it): no banner. */
const quietly = (query) => gql(query).catch(() => null);

/** Re-read what the banners say. */
export async function refreshBanners() {
  const [soonData, guardData, hooksData] = await Promise.all([quietly(SOON), quietly(GUARD), quietly(HOOKS)]);
  const failing = (hooksData?.webhookEndpoints ?? []).filter((e) => e.state === "FAILING");
  const soon = soonData?.provisioning.health.expiringSoon ?? [];
  const guard = guardData?.provisioning.guard;
  const tripped = guard?.state === "TRIPPED"
    ? h("div", { class: "banner alert", role: "alert", id: "guard-banner" },
      h("strong", {}, "The deprovisioning guard has tripped"), " at ", when(guard.trippedAt),
      `: ${guard.heldCount} destructive IdP write(s) are held and not applied. `,
      h("a", { href: "#/held-writes" }, "Review held writes"), ".")
    : null;
  const hooks = failing.map((e) => h("div", { class: "banner alert", role: "alert", "data-webhook": e.id },
    h("strong", {}, `Webhook endpoint ${e.url} is failing`), " since ", when(e.failingSince),
    ": a delivery was given up after 24 hours. ",
    h("a", { href: `#/webhooks/${encodeURIComponent(e.id)}` }, "Open its delivery log"),
    ", fix the receiver and redeliver what it missed."));
  fill(area, tripped, hooks, soon.map((t) => h("div", { class: "banner warn", role: "status" },
    h("strong", {}, `SCIM token ${t.name} (…${t.hint}) expires `), when(t.expiresAt), ". ",
    h("a", { href: "#/provisioning" }, "Create a new token"),
    " and give it to the IdP before then, or provisioning stops.")));
}
