"""Rule 19, the deprovisioning guard: destructive IdP writes beyond a threshold are held.

`model` holds the records, `store` all the SQL, `rules` the count and the trip (asked by the
SCIM adapter before a destructive write), `review` what admins do with held writes (list,
release, discard) and the settings.
"""
