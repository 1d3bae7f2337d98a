"""``bytespike doctor``: find what is really wrong, area by area, each finding with its exact fix.

Areas, in the order a problem is best found:
- network: proxy variables (and NO_PROXY for the gateway), DNS, the connection and TLS, the clock;
- key: where bytespike's key comes from, its format, whether the gateway accepts it, balance and
  limits (the live part is ``verify.run_checks``, shared with ``bytespike verify``);
- one area per tool: what the tool will *effectively* use, resolved the way the tool resolves it
  (each tool's ``resolve`` in ``tools/``, on the generic ``effective.Context``), then a free ``/v1/models`` with exactly that URL and key, the configured models
  against the key's catalogue, and with ``chat=True`` one tiny billed request on the tool's own wire.

Core only: returns findings, never prints.
"""

from __future__ import annotations

from typing import Callable, Iterable

from bytespike_cli.doctor.effective import Context
from bytespike_cli.doctor.findings import Finding, Report, fail, info, skip, warn
from bytespike_cli.errors import BytespikeError, UsageError
from bytespike_cli.settings import Resolved

__all__ = ["Context", "Finding", "Report", "run_doctor", "tool_names"]


def tool_names(wanted: Iterable[str] | None, ctx: Context) -> list[tuple[str, bool]]:
    """(tool, named explicitly) for the named tools, or every installed tool."""
    from bytespike_cli import tools as registry

    names = []
    for name in wanted or ():
        registry.get(name)  # UsageError (exit 2) with a suggestion for an unknown name
        names.append(registry.canonical(name))  # `claude` is `claude-code`
    if names:
        return [(n, True) for n in dict.fromkeys(names)]
    found = []
    for name in registry.names():
        try:
            installed = ctx.integration(name).detect().installed
        except BytespikeError:
            installed = True  # a broken settings file: the tool is there, and its area says what is wrong
        if installed:
            found.append((name, False))
    return found


def run_doctor(resolved: Resolved, tools: Iterable[str] | None = None, *, chat: bool = False,
               context: Context | None = None, on_finding: Callable[[Finding], None] | None = None) -> Report:
    from bytespike_cli.doctor.key import check_key
    from bytespike_cli.doctor.network import check_network
    from bytespike_cli.doctor.probe import ProbeCache, assess

    ctx = context or Context(resolved)
    report = Report()

    def add(findings: Iterable[Finding]) -> None:
        for finding in findings:
            report.findings.append(finding)
            if on_finding is not None:
                on_finding(finding)

    selected = tool_names(tools, ctx)  # bad names fail before any network call
    network, reachable = check_network(resolved, ctx.env)
    add(network)
    add(check_key(resolved, ctx.env, reachable=reachable))
    if not selected:
        add([skip("tools", "none", "no supported AI tool found on this computer",
                  "`bytespike tools` lists the tools bytespike knows and where it looks")])
    cache = ProbeCache()
    for name, _explicit in selected:
        findings: list[Finding] = []
        try:
            integration = ctx.integration(name)
            detection = integration.detect()
            if not detection.installed:
                findings.append(skip(name, "not-installed", f"{detection.title} is not installed "
                                                            f"({detection.evidence})"))
            else:
                findings.extend(_version_findings(name, ctx))
                for eff in integration.resolve(ctx):
                    findings.extend(assess(eff, ctx, chat=chat, cache=cache))
        except UsageError:
            raise
        except BytespikeError as exc:
            findings.append(fail(name, "unreadable", exc.message, exc.hint, exc.exit_code))
        add(findings)
    return report


def _version_findings(name: str, ctx: Context) -> list[Finding]:
    """The installed release, and a warning when the real-client suite did not verify it (issue 10)."""
    from bytespike_cli.compat import installed_version

    found = installed_version(name, ctx.env)
    if found.program is None or found.version is None:
        return []
    if found.in_range is False:
        return [warn(name, "version-unverified", found.warning() or "",
                     f"bytespike was verified with {found.program} {found.verified_text}; if something does not "
                     "work, say which version you run when you report it")]
    verified = (f" (verified: {found.verified_text})" if found.verified_text else
                " (no release was verified by running it: see README, Compatibility)")
    return [info(name, "version", f"{found.program} {found.version}{verified}")]
