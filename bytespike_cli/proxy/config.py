"""Everything one proxy instance is told at start."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProxyConfig:
    upstream: str  # gateway root, e.g. https://llm.bytespike.ai (a path prefix is kept)
    key: str
    host: str = "127.0.0.1"
    port: int = 8787
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    connect_retries: int = 2  # only before a single byte went upstream
    response_timeout: float = 600.0  # request sent → response head; a stream's body is never timed
    pool_idle_s: float = 30.0  # an idle upstream connection older than this is closed, not reused
    pool_max_idle: int = 1024
    shutdown_grace_s: float = 5.0
    head_timeout_s: float = 10.0  # first byte of a request head → the whole head (slowloris)
    idle_timeout_s: float = 75.0  # a keep-alive client connection with no request (nginx's default)
    body_timeout_s: float = 60.0  # no byte of a request body for this long
    max_clients: int = 4096  # open client connections; lowered to fit the file-descriptor limit
    sweep_every_s: float = 1.0  # how often the timeouts above are checked
