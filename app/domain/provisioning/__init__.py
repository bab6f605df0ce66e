"""Provisioning: what the IdP's SCIM traffic tells the admins (health) and its rules."""
