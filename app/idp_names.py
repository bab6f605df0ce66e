"""The identity providers Roster knows, by the name every surface spells them with.

The owner of a record is LOCAL or one of these; the deployment's authentication type is
INTERNAL or one of these. The enums of app/domain/types.py hold the same names (a test keeps
them equal); this module imports nothing, so ``roster --help`` and the admin CLI, a client of
the GraphQL API, can use the list without loading the domain.
"""

IDP_NAMES = (
    "OKTA",
    "ENTRA_ID",
    "ONELOGIN",
    "JUMPCLOUD",
    "GOOGLE",
    "PING",
    "SAML",
    "OIDC",
    "LDAP",
    "CUSTOM",
)
