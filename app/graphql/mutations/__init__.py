"""Mutations: each field is one write transaction and answers a payload with userErrors."""
