"""Webhook delivery over HTTP (rule 20): the per-worker `Deliverer` (app.webhooks.deliverer)
and the guarded HTTP send (app.webhooks.sender). The rules (fan-out, leases, retries, the SSRF
check, the signature) are app.domain.webhooks'."""
