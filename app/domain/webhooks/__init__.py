"""Webhooks (rule 20, issue 16): endpoints, and delivering the outbox's events to them.

`endpoints` holds the admin's writes (create, update, delete, rotate the secret; OWNER or
ADMIN, audited), `targets` the SSRF rule every URL passes at save time and at send time,
`signing` the Standard Webhooks signature, `delivery` the fan-out of events to deliveries, the
due-delivery lease and the outcome of each attempt. All of the SQL is in `store`. Sending over
HTTP is not the domain's: app.webhooks does it.
"""
