"""The generic setup engine: plan → diff → preflight → apply under lock → journal → remove/undo.

It names no tool: what to write comes from each tool's ``plan`` in ``bytespike_cli/tools/``.
"""
