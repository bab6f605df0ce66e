// One mutation as every console action runs it: a refusal (userErrors) or a failed request is
// shown in the action's status box and nothing else happens; otherwise onDone(payload) runs.

import { gql } from "./api.js";
import { errorBox, fill } from "./dom.js";

/** Run `query` (one mutation field) with `variables`; out shows why it failed. */
export async function mutate(out, query, variables, onDone) {
  try {
    const [payload] = Object.values(await gql(query, variables));
    if (payload.userErrors.length) fill(out, errorBox(payload.userErrors));
    else await onDone(payload);
  } catch (err) {
    fill(out, errorBox(err.message));
  }
}
