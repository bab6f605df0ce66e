"""Provisioning: what the IdP's SCIM traffic tells the admins (health, the event log and its
live feed) and its rules."""
