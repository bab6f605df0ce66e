"""Attacks on Roster's promises (docs/security.md), each as the attacker's requests to a
real server."""
