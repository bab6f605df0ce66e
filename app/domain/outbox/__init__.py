"""Downstream events (rule 20): the outbox.

Every committed change to a user, group, membership, role grant, setting or token yields
exactly one event, written in the change's own transaction. The one audit helper
(`app.domain.audit.record_audit`) stages it: `types` names the event from the audit action,
`stage` numbers and writes it just before the transaction commits, `store` holds the
package's SQL (numbering, the resource as it now is, reading pages of the feed) and `views`
the document consumers receive. Nothing is re-exported here: the audit helper imports
`stage`, which must not pull in what imports the audit helper.
"""
