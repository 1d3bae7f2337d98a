"""Every error the gateway answers with, and its envelope in each protocol (gateway-api.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

OPENAI, ANTHROPIC, GEMINI = "openai", "anthropic", "gemini"


@dataclass(frozen=True)
class Condition:
    status: int
    openai_type: str
    code: str
    anthropic_type: str
    google_status: str
    google_http: int | None = None  # when Gemini answers with another HTTP status


_CONDITIONS = {
    "invalid_param": Condition(400, "invalid_request_error", "invalid_param", "invalid_request_error", "INVALID_ARGUMENT"),
    "model_not_found": Condition(400, "invalid_request_error", "model_not_found", "not_found_error", "NOT_FOUND", 404),
    "unsupported_model": Condition(400, "invalid_request_error", "unsupported_model", "invalid_request_error",
                                   "INVALID_ARGUMENT"),
    "model_not_allowed": Condition(400, "invalid_request_error", "model_not_allowed", "invalid_request_error",
                                   "INVALID_ARGUMENT"),
    "context_length_exceeded": Condition(400, "invalid_request_error", "context_length_exceeded",
                                         "invalid_request_error", "INVALID_ARGUMENT"),
    "invalid_api_key": Condition(401, "authentication_error", "invalid_api_key", "authentication_error",
                                 "UNAUTHENTICATED"),
    "insufficient_balance": Condition(402, "billing_error", "insufficient_balance", "billing_error",
                                      "FAILED_PRECONDITION"),
    "quota_exceeded": Condition(402, "billing_error", "quota_exceeded", "billing_error", "FAILED_PRECONDITION"),
    "permission_denied": Condition(403, "permission_error", "permission_denied", "permission_error",
                                   "PERMISSION_DENIED"),
    "model_not_in_group": Condition(403, "permission_error", "model_not_in_group", "permission_error",
                                    "PERMISSION_DENIED"),
    "permission_error": Condition(403, "permission_error", "permission_error", "permission_error",
                                  "PERMISSION_DENIED"),
    "not_found": Condition(404, "invalid_request_error", "not_found", "not_found_error", "NOT_FOUND"),
    "method_not_allowed": Condition(405, "invalid_request_error", "method_not_allowed", "invalid_request_error",
                                    "INVALID_ARGUMENT"),
    "request_too_large": Condition(413, "invalid_request_error", "request_too_large", "request_too_large",
                                   "INVALID_ARGUMENT"),
    "rate_limit_exceeded": Condition(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error",
                                     "RESOURCE_EXHAUSTED"),
    "api_error": Condition(500, "api_error", "api_error", "api_error", "INTERNAL"),
    "bad_gateway": Condition(502, "api_error", "bad_gateway", "api_error", "UNAVAILABLE"),
    "overloaded": Condition(503, "overloaded_error", "overloaded", "overloaded_error", "UNAVAILABLE"),
    "upstream_timeout": Condition(504, "timeout_error", "upstream_timeout", "timeout_error", "DEADLINE_EXCEEDED"),
}

STATUS_FAULTS = {429: "rate_limit_exceeded", 500: "api_error", 502: "bad_gateway", 503: "overloaded",
                 504: "upstream_timeout"}


class ApiError(Exception):
    """Raised anywhere in a handler; the middleware renders it in the caller's protocol."""

    def __init__(self, code: str, message: str, *, param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.condition = _CONDITIONS[code]
        self.message = message
        self.param = param
        self.headers = headers or {}

    @property
    def code(self) -> str:
        return self.condition.code

    def status_for(self, protocol: str) -> int:
        if protocol == GEMINI and self.condition.google_http:
            return self.condition.google_http
        return self.condition.status

    def body_for(self, protocol: str) -> dict:
        c = self.condition
        if protocol == ANTHROPIC:
            return {"type": "error", "error": {"type": c.anthropic_type, "message": self.message}}
        if protocol == GEMINI:
            return {"error": {
                "code": self.status_for(GEMINI),
                "message": self.message,
                "status": c.google_status,
                "details": [{
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": c.code.upper(),
                    "domain": "bytespike.ai",
                }],
            }}
        return {"error": {"type": c.openai_type, "message": self.message, "code": c.code, "param": self.param}}


def protocol_for_path(path: str) -> str:
    if path.startswith("/v1/messages"):
        return ANTHROPIC
    if path.startswith("/v1beta"):
        return GEMINI
    return OPENAI
