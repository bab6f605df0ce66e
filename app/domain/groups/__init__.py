"""Groups and their memberships: the admin services and the rules they share with the IdP path
(`service`, rule 9), what SCIM provisioning does to groups (`provisioning`), membership set
operations and the OWNER check after a removal (`members`), and their SQL: the statements on
one group and its memberships (`store`) and the batch reads of the admin API (`lookups`).
"""
