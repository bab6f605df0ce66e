"""The settings package: the deployment's settings an admin edits.

The Profile Editor (`catalogue`: the attributes, read once per catalogue version; `values`:
validating profile values against it; `attributes`: its edits), the authentication settings
(`authentication`, rule 11) and converting IdP-owned records to LOCAL (`conversion`), which
leaving an IdP needs. All of their SQL is in `store`.
"""
