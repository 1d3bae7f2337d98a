"""``--warm``: a tiny billed request per model, sent through the proxy itself.

Going through the proxy's own socket means the warm-up takes exactly the path a tool's request
takes (key injection, the upstream keep-alive pool, the log line), so it also keeps the pooled
TLS connection to the gateway warm. Each request asks for one output token on the model's native
protocol (gateway-api.md §9: a warm call is a billed text request, so it is opt-in).
"""

from __future__ import annotations

import asyncio
import json

from bytespike_cli.proxy.relay import WARM_HEADER

PROMPT = "Reply with one word."


def native_protocol(model: str) -> str:
    """The documented native protocol per family (gateway.NATIVE_PROTOCOLS), guessed from the id."""
    name = model.lower()
    if name.startswith(("claude", "deepseek")):
        return "anthropic"
    if name.startswith("gemini"):
        return "gemini"
    return "openai"


def warm_request(model: str) -> tuple[str, dict[str, str], bytes]:
    protocol = native_protocol(model)
    message = [{"role": "user", "content": PROMPT}]
    if protocol == "anthropic":
        body = {"model": model, "max_tokens": 1, "messages": message}
        return "/v1/messages", {"anthropic-version": "2023-06-01"}, json.dumps(body).encode()
    if protocol == "gemini":
        body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}], "generationConfig": {"maxOutputTokens": 1}}
        return f"/v1beta/models/{model}:generateContent", {}, json.dumps(body).encode()
    body = {"model": model, "max_tokens": 1, "messages": message}
    return "/v1/chat/completions", {}, json.dumps(body).encode()


async def warm_one(port: int, bind_host: str, token: str | None, model: str, secret: str = "1",
                   timeout_s: float = 120.0) -> int | None:
    """Send one warm-up request through the proxy; the HTTP status, or None if it failed to complete."""
    connect_host = "127.0.0.1" if bind_host in ("0.0.0.0", "::", "", "localhost") else bind_host.strip("[]")
    path, headers, body = warm_request(model)
    host_value = f"127.0.0.1:{port}"
    lines = [f"POST {path} HTTP/1.1", f"Host: {host_value}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: close", f"{WARM_HEADER}: {secret}",
             "User-Agent: bytespike-proxy-warm"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(connect_host, port), 10)
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await asyncio.wait_for(reader.readline(), timeout_s)
        await asyncio.wait_for(reader.read(), timeout_s)  # Connection: close delimits the answer
        return int(status_line.split()[1])
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return None
    finally:
        if writer is not None:
            writer.close()


async def warm_all(port: int, bind_host: str, token: str | None, models: tuple[str, ...],
                   secret: str = "1") -> list[int | None]:
    """``secret``: the proxy's own warm-up marker (Relay.warm_secret), so no client can pose as a warm-up."""
    return list(await asyncio.gather(*(warm_one(port, bind_host, token, m, secret) for m in models)))
