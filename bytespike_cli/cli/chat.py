"""bytespike chat: a first real answer, streamed to the terminal on the model's native protocol."""

from __future__ import annotations

import sys
from typing import Callable, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt


class _Redacting:
    """Writes streamed text as it comes, holding back only the unfinished last word, so that a key
    split across two pieces is still masked (keys hold no whitespace)."""

    def __init__(self, write) -> None:
        self._write = write
        self.held = ""
        self.started = False

    def write(self, text: str) -> None:
        if text:
            self.started = True
            self._write(text)

    def feed(self, text: str) -> None:
        from bytespike_cli.redact import redact

        self.held += text
        cut = max(self.held.rfind(" "), self.held.rfind("\n"), self.held.rfind("\t"))
        if cut < 0 and len(self.held) < 400:
            return
        cut = cut + 1 if cut >= 0 else len(self.held)
        ready, self.held = self.held[:cut], self.held[cut:]
        self.write(redact(ready))

    def flush(self) -> None:
        from bytespike_cli.redact import redact

        if self.held:
            self.write(redact(self.held))
            self.held = ""


def _prompt_text(prompt: Optional[str]) -> str:
    from bytespike_cli.errors import UsageError

    piped = "" if _ui.stdin_is_tty() else sys.stdin.read()
    if prompt and piped.strip():
        return f"{prompt}\n\n{piped}"
    text = prompt if prompt else piped
    if not text or not text.strip():
        raise UsageError("no prompt: give one as an argument or pipe it in",
                         'bytespike chat "Say hello in three languages"  (or: cat notes.txt | bytespike chat "Summarise")')
    return text


def _stream_answer(r, wire: str, model_id: str, text: str, *, system: str | None, max_tokens: int,
                   write: Callable[[str], None], emit: Callable[[dict], None] | None):
    """Stream the answer as it comes (key-shaped text masked): to ``write``, or as NDJSON deltas to ``emit``
    (--json). An error after a partial answer leaves the answer on screen and goes below it."""
    from bytespike_cli.chat import stream
    from bytespike_cli.errors import BytespikeError

    last_at = [0.0]
    out = _Redacting(lambda piece: emit({"type": "delta", "text": piece, "at_ms": round(last_at[0], 1)})
                     if emit is not None else write(piece))
    with _ui.spinner(f"waiting for {model_id} …") as spin:
        def on_delta(delta) -> None:
            spin.stop()
            last_at[0] = delta.at_ms
            out.feed(delta.text)

        try:
            result = stream(r, wire, model_id, text, system=system, max_tokens=max_tokens, on_delta=on_delta)
        except BytespikeError as exc:
            spin.stop()
            out.flush()
            if emit is not None:
                emit({"type": "error", "error": _ui.error_json(exc)})
                raise typer.Exit(int(exc.exit_code)) from None
            if out.started:  # the partial answer stays on screen; the error goes below it
                write("\n")
            raise
    out.flush()
    return result


def chat(
    ctx: typer.Context,
    prompt: Optional[str] = typer.Argument(None, metavar="[PROMPT]", help="What to ask; standard input is read when piped.",
                                           show_default=False),
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar="MODEL", help="Model id (default: this key's fast ⚡ model).",
                                        show_default=False),
    system: Optional[str] = typer.Option(None, "--system", "-s", metavar="TEXT", help="A system prompt.", show_default=False),
    max_tokens: int = typer.Option(1024, "--max-tokens", metavar="N", min=1, max=200_000, help="Longest answer, in tokens."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Ask one question and stream the answer (billed): the quickest way to see the key work."""
    import json

    from bytespike_cli.chat import WIRE_TITLES, model_for_chat, wire_for
    from bytespike_cli.settings import resolve

    text = _prompt_text(prompt)
    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    r.require_key()
    with _ui.spinner(f"reading the model list from {r.base_url} …"):
        chosen = model_for_chat(r, model)
    wire = wire_for(chosen)

    def emit(event: dict) -> None:
        from bytespike_cli.redact import redact

        # NDJSON: every line names its schema and its event, like the proxy's log
        line = {"schema": _ui.schema_id("chat"), "event": event.pop("type"), **event}
        sys.stdout.write(redact(json.dumps(line, ensure_ascii=False)) + "\n")
        sys.stdout.flush()

    if json_out:
        emit({"type": "start", "model": chosen.id, "wire": wire})
    else:
        _ui.info(f"{chosen.id} via {WIRE_TITLES.get(wire, wire)} (billed)")

    def write(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    result = _stream_answer(r, wire, chosen.id, text, system=system, max_tokens=max_tokens, write=write,
                            emit=emit if json_out else None)
    if json_out:
        emit({"type": "done", **{k: v for k, v in result.to_json().items() if k != "text"}})
        return
    write("\n")
    first = f"first token {result.ttft_ms:.0f} ms, " if result.ttft_ms is not None else ""
    cut = " — cut off at --max-tokens" if result.finish_reason in ("length", "max_tokens", "MAX_TOKENS", "incomplete") else ""
    _ui.info(f"{chosen.id}: {first}done in {result.total_ms / 1000:.1f} s{cut}")
