"""The explicit list of commands. Each module keeps its heavy imports inside its command bodies."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from bytespike_cli.cli import account, auth, chat, completions, doctor, gateway, models, proxy, run, setup, verify, warm
    from bytespike_cli.cli._framework import BytespikeCommand, BytespikeGroup

    app.command("login")(auth.login)
    app.command("logout")(auth.logout)
    app.command("status")(auth.status)
    app.add_typer(auth.profiles_app, name="profiles")
    app.command("print-key")(auth.print_key)
    app.command("verify")(verify.verify)
    app.command("chat")(chat.chat)
    app.command("models")(models.models)
    app.command("warm")(warm.warm)
    app.command("setup")(setup.setup)
    app.command("undo")(setup.undo)
    app.command("tools")(setup.tools)
    app.command("proxy")(proxy.proxy)
    app.command("doctor")(doctor.doctor)
    app.command("run", context_settings={"allow_extra_args": True, "allow_interspersed_args": False})(run.run)
    app.command("usage")(account.usage)
    app.command("balance")(account.balance)
    app.add_typer(gateway.app, name="gateway")
    app.command("completion")(completions.completion)
    # every command draws bytespike's help and accepts -q after its name; groups list their commands
    for typer_app in (app, auth.profiles_app, gateway.app):
        if typer_app is not app:
            typer_app.info.cls = BytespikeGroup
        for info in typer_app.registered_commands:
            if not isinstance(info.cls, type) or not issubclass(info.cls, BytespikeCommand):
                info.cls = BytespikeCommand
