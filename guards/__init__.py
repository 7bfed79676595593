"""Checks at the hub's edges that both apps share: which outgoing targets may be connected
to (`guards.targets`), and which JSON input is accepted (`guards.json_input`).

Plain modules with no app of their own: `stations` and `webhooks` both import them, and
they import neither (see docs/security.md for the rules they implement).
"""
