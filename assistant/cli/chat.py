"""`parley chat`: the chat TUI (Textual). The model loads in the background; type meanwhile.

parley chat                          # the embedded model
parley chat --model my-sft -t 0.7    # a trained checkpoint, warmer sampling
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from assistant.cli.options import dtype_option, model_option, sampling_options
from assistant.errors import UsageError
from assistant.sampling import PER_CHAT


@click.command()
@model_option
@dtype_option
@sampling_options
@click.option("--db", "db_path", default=None, hidden=True, help="Database file (tests).")
@click.option(
    "--engine",
    "engine_spec",
    default=None,
    hidden=True,
    help="module:callable(model, dtype, progress) that builds the engine (tests use a fake).",
)
@click.pass_context
def chat(ctx, model, backend, dtype, system, db_path, engine_spec, **sampling):
    """Chat with a model in the terminal: conversations are saved, answers can be rated.

    F1 lists every key; / starts a command (/help, /new, /model, /system, /export, /clear);
    ctrl+p opens the command palette; ctrl+q quits. Defaults come from the config file
    ($PARLEY_HOME/config.toml, [chat] and [keymap]); flags given here win.
    """
    from assistant.inference.threads import quiet_torch_threads

    quiet_torch_threads()
    from assistant import config as config_module

    config = config_module.load()
    names = [s.name for s in PER_CHAT]
    settings = {k: v for k, v in config.chat.items() if k in (*names, "system_prompt")}
    given = {**sampling, "system_prompt": system}
    if system:
        from assistant.tools.text import require_utf8

        require_utf8(system, "--system")
    for name, value in given.items():
        source = ctx.get_parameter_source("system" if name == "system_prompt" else name)
        if source is not None and source.name != "DEFAULT":
            settings[name] = value
    if ctx.get_parameter_source("dtype").name == "DEFAULT" and "dtype" in config.chat:
        dtype = config.chat["dtype"]
    factory = _engine_factory(engine_spec) if engine_spec else None
    if (model or config.chat.get("model")) and factory is None:
        from assistant import models

        # no such model: one line here, not a failure inside the TUI
        models.resolve(model or config.chat["model"])
    from assistant import store

    store.connect(db_path).close()  # a damaged database: one line here, before the TUI starts
    from assistant.tui import prepare_terminal

    prepare_terminal()

    from assistant.tui.app import ChatApp

    app = ChatApp(
        model=model,
        dtype=dtype,
        backend=backend,
        engine_factory=factory,
        db_path=db_path,
        config=config,
        settings=settings,
    )
    app.run()
    if app.session.engine is not None:
        # Everything is saved and the terminal restored by now. With torch loaded in a worker
        # thread, interpreter teardown has crashed (SIGSEGV) now and then on this machine; skip it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(app.return_code or 0)


def _engine_factory(spec: str):
    module_name, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr or "factory")
    except (ImportError, AttributeError) as e:
        raise UsageError(f"--engine {spec}: {e}") from e
