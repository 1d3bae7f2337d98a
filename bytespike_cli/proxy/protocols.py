"""Which protocol a request speaks: where its key goes and what its errors look like.

gateway-api.md §1.3: Anthropic Messages authenticates with ``x-api-key``, Gemini with
``x-goog-api-key`` (or ``?key=``), everything else with ``Authorization: Bearer``. §5.1: an error's
envelope follows the protocol that was called, so a client's SDK can read the proxy's own errors too.
"""

from __future__ import annotations

import json

OPENAI = "openai"
ANTHROPIC = "anthropic"
GEMINI = "gemini"

# Paths the proxy forwards; anything else is answered with a 404 that names the right base URLs.
FORWARDED_PREFIXES = (b"/v1/", b"/v1beta/", b"/api/v1/")


def protocol_for(path: bytes) -> str:
    if path.startswith(b"/v1/messages"):
        return ANTHROPIC
    if path.startswith(b"/v1beta/"):
        return GEMINI
    return OPENAI


def key_header_line(protocol: str, key: str) -> bytes:
    """The injected credential as a header line (no CRLF)."""
    if protocol == ANTHROPIC:
        return b"x-api-key: " + key.encode("latin-1")
    if protocol == GEMINI:
        return b"x-goog-api-key: " + key.encode("latin-1")
    return b"Authorization: Bearer " + key.encode("latin-1")


_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 413: "invalid_request_error", 431: "invalid_request_error",
                 505: "invalid_request_error"}
_ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                    404: "not_found_error", 413: "request_too_large", 431: "invalid_request_error",
                    505: "invalid_request_error"}
_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                  413: "INVALID_ARGUMENT", 431: "INVALID_ARGUMENT", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED", 505: "INVALID_ARGUMENT", 508: "INTERNAL"}


def error_body(protocol: str, status: int, message: str, code: str) -> bytes:
    """The proxy's own error in the envelope of the protocol that was called."""
    if protocol == ANTHROPIC:
        doc: dict = {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}
    elif protocol == GEMINI:
        doc = {"error": {"code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "UNAVAILABLE")}}
    else:
        doc = {"error": {"type": _OPENAI_TYPES.get(status, "api_error"), "message": message, "code": code}}
    return json.dumps(doc, ensure_ascii=False).encode()
