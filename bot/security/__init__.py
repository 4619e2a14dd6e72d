"""Defences against hostile input and unauthenticated callers (docs/security.md)."""
