"""Users: the admin service's rules for creating, changing, deleting and restoring them
(`service`), what SCIM provisioning does to them (`provisioning`), the emergency lock (`locks`,
rule 17), unmapped SCIM attributes (`scim_extras`), what a HIDDEN profile attribute means
(`visibility`), and reading and writing their rows (`store`).
"""
