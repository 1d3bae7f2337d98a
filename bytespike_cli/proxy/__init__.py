"""Local forwarding proxy (``bytespike proxy``): inject the key, relay bytes 1:1, private by default.

Modules: ``app`` (the relay), ``server`` (lifecycle), ``guard`` (Host/Origin/token), ``log``
(one masked line per request), ``http1`` (framing), ``protocols`` (key headers, error envelopes),
``warm`` (``--warm``). Importing this package imports none of them.
"""
