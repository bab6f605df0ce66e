"""Who may do what: the authorization decision (`decision`, rules 3, 9, 10, 14), who may use
the admin API at all (`permissions`), local roles and the OWNER protections (`roles`), SCIM
tokens and the provisioning switch (`scim_tokens`, rule 12), admin API tokens (`api_tokens`,
rule 15) and what both kinds of token share (`tokens`), revoking a deleted user's credentials
(`credentials`), and the operator's bootstrap actions run by the CLI (`bootstrap`).
"""
