"""The HTTP API: an entry point of its own (``qa-engine web``; ``qa-engine dev`` starts it).

``app.create_app`` is its composition root; ``routes`` the resources of every
lifecycle, ``auth`` the sign-in (local accounts, sessions, bearer tokens, CSRF),
``problems`` the errors as ``application/problem+json``, ``server`` uvicorn and
the demo accounts. It uses the same application layer as the CLI (``entry.acting``,
the Temporal clients, the services), never the CLI's modules.
"""
