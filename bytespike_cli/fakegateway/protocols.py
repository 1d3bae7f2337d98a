"""The four text protocols: parse a request into a Conversation, render a Reply in the protocol's shapes.

Shapes follow the published APIs as the official SDKs type them (openai ChatCompletion/Chunk and
Responses events, anthropic Message and RawMessageStreamEvent, google-genai GenerateContentResponse);
the tests parse every event with those SDK models.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any, Callable, Iterable

from bytespike_cli.fakegateway.problems import ANTHROPIC, GEMINI, OPENAI, ApiError
from bytespike_cli.fakegateway.replies import Conversation, Reply, ToolSpec

Event = tuple[str | None, Any]  # (SSE event name or None, JSON-able payload or a raw string)


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError("invalid_param", message, param=param)


def _require(body: dict, name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is None:
        raise _bad(f"{name}: field required", name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _bad(f"{name}: must be {what}", name)
    return value


def _optional_int(body: dict, *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _bad(f"{name}: must be a positive integer", name)
        return value
    return None


def _check_data_url(url: str, param: str) -> None:
    if url.startswith("data:"):
        head, sep, data = url.partition(",")
        if not sep or ";base64" not in head or not head[5:].startswith("image/"):
            raise _bad(f"{param}: expected a data:image/...;base64, URL", param)
        _check_base64(data, param)
    elif not url.startswith(("http://", "https://")):
        raise _bad(f"{param}: expected an http(s) URL or a data: URL", param)


def _check_base64(data: str, param: str) -> None:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(f"{param}: image data is not valid base64", param) from None


class _Turns:
    """Collects the prompt's size and the last user (or tool-result) turn while walking messages."""

    def __init__(self) -> None:
        self.chars = 0
        self.images = 0
        self.last: list[str] | None = None
        self.last_is_tool_result = False

    def count(self, text: str) -> None:
        self.chars += len(text)

    def begin_turn(self, tool_result: bool = False) -> list[str]:
        self.last = []
        self.last_is_tool_result = tool_result
        return self.last

    def into(self, conv: Conversation) -> Conversation:
        conv.prompt_chars, conv.images = self.chars, self.images
        conv.last_text = " ".join(p for p in (self.last or []) if p)
        conv.last_is_tool_result = self.last_is_tool_result
        return conv


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Protocol:
    name: str
    named_events: bool  # SSE frames carry an `event:` line

    def parse(self, body: dict, model: str | None = None) -> Conversation:
        raise NotImplementedError

    def response(self, conv: Conversation, reply: Reply, new_id: Callable[[str], str]) -> dict:
        raise NotImplementedError

    def events(self, conv: Conversation, reply: Reply, new_id: Callable[[str], str]) -> Iterable[Event]:
        raise NotImplementedError

    def midstream_error(self, sequence_number: int) -> Event:
        raise NotImplementedError


# ----------------------------------------------------------------------------------------- OpenAI Chat
class OpenAIChat(Protocol):
    name = OPENAI
    named_events = False

    def parse(self, body: dict, model: str | None = None) -> Conversation:
        conv = Conversation(model=_require(body, "model", str, "a string"))
        messages = _require(body, "messages", list, "an array of messages")
        if not messages:
            raise _bad("messages: must contain at least one message", "messages")
        turns = _Turns()
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or msg.get("role") not in ("system", "developer", "user", "assistant",
                                                                      "tool", "function"):
                raise _bad(f"messages[{i}]: each message needs a role of system/user/assistant/tool",
                           f"messages[{i}].role")
            role = msg["role"]
            parts = turns.begin_turn(role == "tool") if role in ("user", "tool") else []
            content = msg.get("content")
            if isinstance(content, str):
                turns.count(content)
                parts.append(content)
            elif isinstance(content, list):
                for j, part in enumerate(content):
                    param = f"messages[{i}].content[{j}]"
                    kind = part.get("type") if isinstance(part, dict) else None
                    if kind == "text":
                        text = str(part.get("text", ""))
                        turns.count(text)
                        parts.append(text)
                    elif kind == "image_url":
                        url = (part.get("image_url") or {}).get("url")
                        if not isinstance(url, str):
                            raise _bad(f"{param}.image_url.url: field required", f"{param}.image_url.url")
                        _check_data_url(url, f"{param}.image_url.url")
                        turns.images += 1
                        parts.append("[image]")
                    elif kind in ("input_audio", "file", "refusal"):
                        parts.append(f"[{kind}]")
                    else:
                        raise _bad(f"{param}.type: unsupported content part {kind!r}", f"{param}.type")
            if role == "tool" and parts:
                parts[0] = f"tool result: {parts[0]}"
            for call in msg.get("tool_calls") or []:
                turns.count(_text_of(call))
        conv.max_tokens = _optional_int(body, "max_completion_tokens", "max_tokens")
        conv.stream = bool(body.get("stream"))
        conv.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        for i, tool in enumerate(body.get("tools") or []):
            fn = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise _bad(f"tools[{i}].function.name: field required", f"tools[{i}].function.name")
            conv.tools.append(ToolSpec(fn["name"], fn.get("parameters") or {}))
        choice = body.get("tool_choice")
        if choice == "none":
            conv.no_tools = True
        elif choice == "required":
            conv.any_tool = True
        elif isinstance(choice, dict):
            conv.forced_tool = (choice.get("function") or {}).get("name")
        return turns.into(conv)

    @staticmethod
    def _finish(reply: Reply) -> str:
        return "tool_calls" if reply.tool_call else "length" if reply.truncated else "stop"

    @staticmethod
    def _usage(reply: Reply) -> dict:
        return {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }

    def response(self, conv, reply, new_id):
        message: dict = {"role": "assistant", "content": None if reply.tool_call else reply.text, "refusal": None,
                         "annotations": []}
        if reply.tool_call:
            message["tool_calls"] = [{
                "id": new_id("call_"), "type": "function",
                "function": {"name": reply.tool_call.name, "arguments": reply.tool_call.arguments},
            }]
        return {
            "id": new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()), "model": conv.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": self._finish(reply)}],
            "usage": self._usage(reply), "service_tier": "default", "system_fingerprint": "fp_bytespike_offline",
        }

    def events(self, conv, reply, new_id):
        base = {"id": new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": conv.model, "service_tier": "default", "system_fingerprint": "fp_bytespike_offline"}

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        if reply.tool_call:
            call = reply.tool_call
            yield None, chunk({"role": "assistant", "content": None, "tool_calls": [{
                "index": 0, "id": new_id("call_"), "type": "function",
                "function": {"name": call.name, "arguments": ""}}]})
            for piece in call.argument_pieces:
                yield None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        else:
            yield None, chunk({"role": "assistant", "content": "", "refusal": None})
            for piece in reply.text_pieces:
                yield None, chunk({"content": piece})
        yield None, chunk({}, self._finish(reply))
        if conv.include_usage:
            yield None, {**base, "choices": [], "usage": self._usage(reply)}
        yield None, "[DONE]"

    def midstream_error(self, sequence_number):
        return None, {"error": {"type": "api_error", "code": "api_error", "param": None,
                                "message": "upstream stream failed (offline gateway fault error-after)"}}


# ---------------------------------------------------------------------------------- Anthropic Messages
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


class AnthropicMessages(Protocol):
    name = ANTHROPIC
    named_events = True

    def parse(self, body, model=None):
        conv = Conversation(model=_require(body, "model", str, "a string"))
        conv.max_tokens = _require(body, "max_tokens", int, "an integer")
        if conv.max_tokens < 1:
            raise _bad("max_tokens: must be at least 1", "max_tokens")
        messages = _require(body, "messages", list, "an array of messages")
        if not messages:
            raise _bad("messages: at least one message is required", "messages")
        turns = _Turns()
        system = body.get("system")
        if isinstance(system, str):
            turns.count(system)
        elif isinstance(system, list):
            for block in system:
                turns.count(str(block.get("text", "")) if isinstance(block, dict) else "")
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or msg.get("role") not in ("user", "assistant"):
                raise _bad(f"messages.{i}.role: Input should be 'user' or 'assistant'", f"messages.{i}.role")
            content = msg.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            if not isinstance(blocks, list):
                raise _bad(f"messages.{i}.content: must be a string or a list of blocks", f"messages.{i}.content")
            is_user = msg["role"] == "user"
            has_result = any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks)
            parts = turns.begin_turn(has_result) if is_user else []
            for j, block in enumerate(blocks):
                self._block(block, f"messages.{i}.content.{j}", turns, parts)
        conv.stream = bool(body.get("stream"))
        for i, tool in enumerate(body.get("tools") or []):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                raise _bad(f"tools.{i}.name: field required", f"tools.{i}.name")
            if "input_schema" in tool:  # server tools (web_search, ...) have no schema and are not called here
                conv.tools.append(ToolSpec(tool["name"], tool["input_schema"] or {}))
        choice = body.get("tool_choice") or {}
        kind = choice.get("type") if isinstance(choice, dict) else None
        if kind == "none":
            conv.no_tools = True
        elif kind == "any":
            conv.any_tool = True
        elif kind == "tool":
            conv.forced_tool = choice.get("name")
        return turns.into(conv)

    @staticmethod
    def _block(block: Any, param: str, turns: _Turns, parts: list[str]) -> None:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            text = str(block.get("text", ""))
            turns.count(text)
            parts.append(text)
        elif kind == "image":
            source = block.get("source") or {}
            if source.get("type") == "base64":
                if source.get("media_type") not in _IMAGE_TYPES:
                    raise _bad(f"{param}.source.media_type: must be one of {', '.join(_IMAGE_TYPES)}",
                               f"{param}.source.media_type")
                _check_base64(str(source.get("data", "")), f"{param}.source.data")
            elif source.get("type") == "url":
                _check_data_url(str(source.get("url", "")), f"{param}.source.url")
            else:
                raise _bad(f"{param}.source.type: must be 'base64' or 'url'", f"{param}.source.type")
            turns.images += 1
            parts.append("[image]")
        elif kind == "tool_result":
            content = block.get("content")
            if isinstance(content, list):
                text = " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
            else:
                text = _text_of(content if content is not None else "")
            turns.count(text)
            parts.append(f"tool result: {text}")
        elif kind == "tool_use":
            turns.count(_text_of(block.get("input", {})))
        elif kind == "document":
            parts.append("[document]")
        elif kind in ("thinking", "redacted_thinking", "server_tool_use", "web_search_tool_result"):
            pass  # earlier assistant output replayed by the client: part of the prompt, not of the question
        else:
            raise _bad(f"{param}.type: unsupported content block {kind!r}", f"{param}.type")

    @staticmethod
    def _stop(reply: Reply) -> str:
        return "tool_use" if reply.tool_call else "max_tokens" if reply.truncated else "end_turn"

    @staticmethod
    def _usage(reply: Reply, output_tokens: int) -> dict:
        return {"input_tokens": reply.input_tokens, "output_tokens": output_tokens,
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "service_tier": "standard"}

    def response(self, conv, reply, new_id):
        if reply.tool_call:
            content = [{"type": "tool_use", "id": new_id("toolu_"), "name": reply.tool_call.name,
                        "input": json.loads(reply.tool_call.arguments)}]
        else:
            content = [{"type": "text", "text": reply.text}]
        return {"id": new_id("msg_"), "type": "message", "role": "assistant", "model": conv.model,
                "content": content, "stop_reason": self._stop(reply), "stop_sequence": None,
                "usage": self._usage(reply, reply.output_tokens)}

    def events(self, conv, reply, new_id):
        message = {"id": new_id("msg_"), "type": "message", "role": "assistant", "model": conv.model, "content": [],
                   "stop_reason": None, "stop_sequence": None, "usage": self._usage(reply, 1)}
        yield "message_start", {"type": "message_start", "message": message}
        if reply.tool_call:
            block = {"type": "tool_use", "id": new_id("toolu_"), "name": reply.tool_call.name, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in reply.tool_call.argument_pieces]
        else:
            block = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in reply.text_pieces]
        yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
        yield "ping", {"type": "ping"}
        for delta in deltas:
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        yield "message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": self._stop(reply), "stop_sequence": None},
                                "usage": {"output_tokens": reply.output_tokens}}
        yield "message_stop", {"type": "message_stop"}

    def midstream_error(self, sequence_number):
        return "error", {"type": "error", "error": {
            "type": "overloaded_error", "message": "Overloaded (offline gateway fault error-after)"}}


# -------------------------------------------------------------------------------------- OpenAI Responses
class OpenAIResponses(Protocol):
    name = OPENAI
    named_events = True

    def parse(self, body, model=None):
        conv = Conversation(model=_require(body, "model", str, "a string"))
        raw_input = body.get("input")
        if raw_input is None:
            raise _bad("input: field required", "input")
        turns = _Turns()
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            turns.count(instructions)
        items = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else raw_input
        if not isinstance(items, list):
            raise _bad("input: must be a string or an array of input items", "input")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _bad(f"input[{i}]: must be an object", f"input[{i}]")
            kind = item.get("type", "message")
            if kind == "message":
                role = item.get("role")
                if role not in ("user", "assistant", "system", "developer"):
                    raise _bad(f"input[{i}].role: must be user/assistant/system/developer", f"input[{i}].role")
                parts = turns.begin_turn() if role == "user" else []
                content = item.get("content")
                if isinstance(content, str):
                    turns.count(content)
                    parts.append(content)
                    continue
                for j, part in enumerate(content or []):
                    param = f"input[{i}].content[{j}]"
                    ptype = part.get("type") if isinstance(part, dict) else None
                    if ptype in ("input_text", "output_text"):
                        text = str(part.get("text", ""))
                        turns.count(text)
                        parts.append(text)
                    elif ptype == "input_image":
                        url = part.get("image_url")
                        if isinstance(url, str):
                            _check_data_url(url, f"{param}.image_url")
                        elif not part.get("file_id"):
                            raise _bad(f"{param}: input_image needs image_url or file_id", param)
                        turns.images += 1
                        parts.append("[image]")
                    elif ptype in ("input_file", "input_audio", "refusal"):
                        parts.append(f"[{ptype}]")
                    else:
                        raise _bad(f"{param}.type: unsupported content part {ptype!r}", f"{param}.type")
            elif kind == "function_call_output":
                text = _text_of(item.get("output", ""))
                turns.count(text)
                turns.begin_turn(tool_result=True).append(f"tool result: {text}")
            elif kind == "function_call":
                turns.count(str(item.get("arguments", "")))
            elif kind in ("reasoning", "item_reference"):
                continue
            else:
                raise _bad(f"input[{i}].type: unsupported item type {kind!r}", f"input[{i}].type")
        conv.max_tokens = _optional_int(body, "max_output_tokens")
        conv.stream = bool(body.get("stream"))
        for i, tool in enumerate(body.get("tools") or []):
            if isinstance(tool, dict) and tool.get("type") == "function":
                if not isinstance(tool.get("name"), str):
                    raise _bad(f"tools[{i}].name: field required", f"tools[{i}].name")
                conv.tools.append(ToolSpec(tool["name"], tool.get("parameters") or {}))
        choice = body.get("tool_choice")
        if choice == "none":
            conv.no_tools = True
        elif choice == "required":
            conv.any_tool = True
        elif isinstance(choice, dict) and choice.get("type") == "function":
            conv.forced_tool = choice.get("name")
        conv.request = body
        return turns.into(conv)

    @staticmethod
    def _usage(reply: Reply) -> dict:
        return {"input_tokens": reply.input_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": reply.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": reply.input_tokens + reply.output_tokens}

    @staticmethod
    def _tools(body: dict) -> list:
        tools = []
        for tool in body.get("tools") or []:
            if isinstance(tool, dict) and tool.get("type") == "function":
                tools.append({"type": "function", "name": tool["name"], "description": tool.get("description"),
                              "parameters": tool.get("parameters") or {}, "strict": tool.get("strict", True)})
            else:
                tools.append(tool)
        return tools

    def _envelope(self, conv: Conversation, response_id: str, status: str, output: list, usage: dict | None,
                  truncated: bool = False) -> dict:
        body = conv.request
        choice = body.get("tool_choice", "auto")
        return {
            "id": response_id, "object": "response", "created_at": conv.created_at,
            "status": status, "background": False, "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if truncated and status == "incomplete" else None,
            "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None, "model": conv.model, "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
            "service_tier": "default",
            "temperature": body.get("temperature", 1.0), "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": choice if choice is not None else "auto", "tools": self._tools(body),
            "top_logprobs": 0, "top_p": body.get("top_p", 1.0), "truncation": "disabled", "usage": usage,
            "user": None, "metadata": body.get("metadata") or {},
        }

    def _items(self, reply: Reply, new_id) -> list[dict]:
        if reply.tool_call:
            return [{"type": "function_call", "id": new_id("fc_"), "call_id": new_id("call_"),
                     "name": reply.tool_call.name, "arguments": reply.tool_call.arguments, "status": "completed"}]
        return [{"type": "message", "id": new_id("msg_"), "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}]}]

    @staticmethod
    def _final_status(reply: Reply) -> str:
        return "incomplete" if reply.truncated else "completed"

    def response(self, conv, reply, new_id):
        conv.created_at = int(time.time())
        return self._envelope(conv, new_id("resp_"), self._final_status(reply), self._items(reply, new_id),
                              self._usage(reply), reply.truncated)

    def events(self, conv, reply, new_id):
        conv.created_at = int(time.time())
        response_id = new_id("resp_")
        seq = iter(range(1_000_000))

        def ev(kind: str, **fields: Any) -> Event:
            return kind, {"type": kind, "sequence_number": next(seq), **fields}

        yield ev("response.created", response=self._envelope(conv, response_id, "in_progress", [], None))
        yield ev("response.in_progress", response=self._envelope(conv, response_id, "in_progress", [], None))
        (item,) = self._items(reply, new_id)
        if reply.tool_call:
            yield ev("response.output_item.added", output_index=0,
                     item={**item, "arguments": "", "status": "in_progress"})
            for piece in reply.tool_call.argument_pieces:
                yield ev("response.function_call_arguments.delta", item_id=item["id"], output_index=0, delta=piece)
            yield ev("response.function_call_arguments.done", item_id=item["id"], output_index=0,
                     arguments=item["arguments"])
        else:
            yield ev("response.output_item.added", output_index=0,
                     item={**item, "status": "in_progress", "content": []})
            empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield ev("response.content_part.added", item_id=item["id"], output_index=0, content_index=0,
                     part=empty_part)
            for piece in reply.text_pieces:
                yield ev("response.output_text.delta", item_id=item["id"], output_index=0, content_index=0,
                         delta=piece, logprobs=[])
            yield ev("response.output_text.done", item_id=item["id"], output_index=0, content_index=0,
                     text=reply.text, logprobs=[])
            yield ev("response.content_part.done", item_id=item["id"], output_index=0, content_index=0,
                     part=item["content"][0])
        yield ev("response.output_item.done", output_index=0, item=item)
        final = self._final_status(reply)
        yield ev(f"response.{final}", response=self._envelope(conv, response_id, final, [item], self._usage(reply),
                                                              reply.truncated))

    def midstream_error(self, sequence_number):
        return "error", {"type": "error", "code": "server_error", "param": None, "sequence_number": sequence_number,
                         "message": "upstream stream failed (offline gateway fault error-after)"}


# ------------------------------------------------------------------------------------------- Gemini
def _get(d: dict, camel: str, snake: str, default: Any = None) -> Any:
    """google-genai sends camelCase; hand-written clients sometimes send snake_case (the API accepts both)."""
    return d.get(camel, d.get(snake, default))


class Gemini(Protocol):
    name = GEMINI
    named_events = False

    def parse(self, body, model=None):
        conv = Conversation(model=model or "")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise _bad("* GenerateContentRequest.contents: contents is not specified", "contents")
        turns = _Turns()
        system = _get(body, "systemInstruction", "system_instruction")
        if isinstance(system, dict):
            for part in system.get("parts") or []:
                turns.count(str(part.get("text", "")) if isinstance(part, dict) else "")
        for i, content in enumerate(contents):
            if not isinstance(content, dict) or not isinstance(content.get("parts"), list):
                raise _bad(f"* GenerateContentRequest.contents[{i}].parts: must be a list", f"contents[{i}].parts")
            role = content.get("role", "user")
            if role not in ("user", "model", "function"):
                raise _bad(f"* GenerateContentRequest.contents[{i}].role: must be user or model",
                           f"contents[{i}].role")
            has_response = any(isinstance(p, dict) and _get(p, "functionResponse", "function_response")
                               for p in content["parts"])
            parts = turns.begin_turn(has_response) if role in ("user", "function") else []
            for j, part in enumerate(content["parts"]):
                param = f"contents[{i}].parts[{j}]"
                if not isinstance(part, dict):
                    raise _bad(f"* GenerateContentRequest.{param}: must be an object", param)
                if "text" in part:
                    turns.count(str(part["text"]))
                    parts.append(str(part["text"]))
                elif _get(part, "inlineData", "inline_data"):
                    blob = _get(part, "inlineData", "inline_data")
                    if not _get(blob, "mimeType", "mime_type"):
                        raise _bad(f"* GenerateContentRequest.{param}.inline_data.mime_type: required", param)
                    _check_base64(str(blob.get("data", "")), param)
                    turns.images += 1
                    parts.append("[image]")
                elif _get(part, "fileData", "file_data"):
                    turns.images += 1
                    parts.append("[file]")
                elif _get(part, "functionResponse", "function_response"):
                    response = _get(part, "functionResponse", "function_response")
                    text = _text_of(response.get("response", {}))
                    turns.count(text)
                    parts.append(f"tool result: {text}")
                elif _get(part, "functionCall", "function_call"):
                    turns.count(_text_of(_get(part, "functionCall", "function_call")))
        config = _get(body, "generationConfig", "generation_config") or {}
        conv.max_tokens = _optional_int(config, "maxOutputTokens", "max_output_tokens")
        for tool in body.get("tools") or []:
            for decl in _get(tool, "functionDeclarations", "function_declarations") or []:
                schema = decl.get("parameters") or _get(decl, "parametersJsonSchema", "parameters_json_schema") or {}
                conv.tools.append(ToolSpec(decl.get("name", ""), schema))
        calling = _get(_get(body, "toolConfig", "tool_config") or {}, "functionCallingConfig",
                       "function_calling_config") or {}
        mode = str(calling.get("mode", "AUTO")).upper()
        allowed = _get(calling, "allowedFunctionNames", "allowed_function_names") or []
        if mode == "NONE":
            conv.no_tools = True
        elif mode == "ANY":
            conv.any_tool = True
            if len(allowed) == 1:
                conv.forced_tool = allowed[0]
        return turns.into(conv)

    @staticmethod
    def _usage(reply: Reply, output_tokens: int | None) -> dict:
        usage = {"promptTokenCount": reply.input_tokens,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": reply.input_tokens}]}
        if output_tokens is not None:
            usage.update(candidatesTokenCount=output_tokens, totalTokenCount=reply.input_tokens + output_tokens)
        else:
            usage["totalTokenCount"] = reply.input_tokens
        return usage

    @staticmethod
    def _finish(reply: Reply) -> str:
        return "MAX_TOKENS" if reply.truncated else "STOP"

    def _chunk(self, conv, response_id, parts, finish, usage) -> dict:
        candidate: dict = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": conv.model,
                "responseId": response_id}

    def _parts(self, reply: Reply) -> list[dict]:
        if reply.tool_call:
            return [{"functionCall": {"name": reply.tool_call.name, "args": json.loads(reply.tool_call.arguments)}}]
        return [{"text": reply.text}]

    def response(self, conv, reply, new_id):
        return self._chunk(conv, new_id(""), self._parts(reply), self._finish(reply),
                           self._usage(reply, reply.output_tokens))

    def events(self, conv, reply, new_id):
        # Google's framing: `data: {GenerateContentResponse}` chunks and no terminator. The ByteSpike streaming
        # page says Gemini streams end with [DONE]; google-genai would try to parse that as JSON and fail.
        response_id = new_id("")
        if reply.tool_call:  # Gemini sends a function call whole, never in pieces
            yield None, self._chunk(conv, response_id, self._parts(reply), "STOP",
                                    self._usage(reply, reply.output_tokens))
            return
        pieces = list(reply.text_pieces) or [""]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            yield None, self._chunk(conv, response_id, [{"text": piece}], self._finish(reply) if last else None,
                                    self._usage(reply, reply.output_tokens if last else None))

    def midstream_error(self, sequence_number):
        return None, {"error": {"code": 500, "status": "INTERNAL",
                                "message": "upstream stream failed (offline gateway fault error-after)"}}


OPENAI_CHAT = OpenAIChat()
ANTHROPIC_MESSAGES = AnthropicMessages()
OPENAI_RESPONSES = OpenAIResponses()
GEMINI_NATIVE = Gemini()
