// Banners shown above every page: SCIM tokens about to expire (and the deprovisioning guard).

import { gql } from "./api.js";
import { fill, h, when } from "./dom.js";

const QUERY = "{ provisioning { health { expiringSoon { name hint expiresAt } } } }";
const area = document.getElementById("banners");

/** Re-read what the banners say; a failure (e.g. no permission) shows none. */
export async function refreshBanners() {
  let soon = [];
  try {
    soon = (await gql(QUERY)).provisioning.health.expiringSoon;
  } catch {
    soon = [];
  }
  fill(area, soon.map((t) => h("div", { class: "banner warn", role: "status" },
    h("strong", {}, `SCIM token ${t.name} (…${t.hint}) expires `), when(t.expiresAt), ". ",
    h("a", { href: "#/provisioning" }, "Create a new token"),
    " and give it to the IdP before then, or provisioning stops.")));
}
