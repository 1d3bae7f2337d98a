"""The proxy's public surface; the pieces live in their own modules:

- config.py    ProxyConfig
- request.py   the request side: llhttp head parsing, target normalisation, credentials out
- relay.py     Relay and ClientConn: one exchange at a time per client connection, limits, timeouts
- upstream.py  Upstream, the keep-alive pool and the response relay
- refusals.py  the proxy's own refusals, token throttling, log rate limits
- http1.py     strict chunked framing, Content-Length, canned answers
"""

from bytespike_cli.proxy.config import ProxyConfig
from bytespike_cli.proxy.relay import ClientConn, Relay
from bytespike_cli.proxy.upstream import Upstream, display_url

__all__ = ["ClientConn", "ProxyConfig", "Relay", "Upstream", "display_url"]
