// Names for ids: one aliased `node` query per batch of ids, never one request per row.

import { gql } from "./api.js";

const BATCH = 25; // under the API's alias limit (ROSTER_GRAPHQL_MAX_ALIASES, 30 by default)
const cache = new Map();

/** The global id of a raw record id (base64 of "Type:rawId", as the API builds them). */
export const globalId = (type, raw) => btoa(`${type}:${raw}`);

/**
 * Map of global id → name (a user's loginId, a group's name, a token's name) for every id
 * that still exists; unknown or deleted ones are left out, so callers fall back to what they
 * have (an externalId, a label).
 */
export async function namesOf(ids) {
  const wanted = [...new Set(ids.filter((id) => id && !cache.has(id)))];
  for (let start = 0; start < wanted.length; start += BATCH) {
    const chunk = wanted.slice(start, start + BATCH);
    const params = chunk.map((_, i) => `$i${i}: ID!`).join(", ");
    const fields = chunk.map((_, i) => `n${i}: node(id: $i${i}) { ...Name }`).join("\n");
    const variables = Object.fromEntries(chunk.map((id, i) => [`i${i}`, id]));
    const data = await gql(`query Names(${params}) { ${fields} }
      fragment Name on Node { ... on User { loginId } ... on Group { displayName }
        ... on ScimToken { name } ... on ApiToken { name } }`, variables);
    chunk.forEach((id, i) => {
      const node = data[`n${i}`];
      cache.set(id, node ? node.loginId ?? node.displayName ?? node.name ?? null : null);
    });
  }
  const names = new Map();
  for (const id of ids) if (id && cache.get(id)) names.set(id, cache.get(id));
  return names;
}

/** Forget cached names (after a rename or delete). */
export function forgetNames() {
  cache.clear();
}
