"""Users: the admin service's rules for creating, changing, deleting and restoring them
(`service`), what SCIM provisioning does to them (`provisioning`), how an edit of either writer
is applied (`edits`), the emergency lock (`locks`, rule 17), unmapped SCIM attributes
(`scim_extras`), what a HIDDEN profile attribute means (`visibility`), what the audit log keeps
of them (`audited`), and all of the package's SQL: one user's row (`store`) and the admin API's
batch reads (`batch_reads`).
"""
