"""`parley arena`: a preference-rating session in the terminal (the TUI in assistant/tui/arena.py,
the session logic in assistant/rate/arena.py)."""

from __future__ import annotations

import click

from assistant.cli.options import dtype_option


def _default_annotator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "annotator"


@click.command()
@click.option(
    "--prompts",
    "-p",
    "prompts_file",
    required=True,
    type=click.Path(dir_okay=False),
    help='JSONL ({"prompt": ...} or {"messages": [...]} a line) or text, one prompt a line.',
)
@click.option(
    "--models",
    default=None,
    help="Two contenders: A,B or one model under two settings, "
    "e.g. M@temperature=0.2,M@temperature=1.0,seed=3 (keys: temperature, top_p, "
    "max_new_tokens, seed). Not needed when every item brings its two responses.",
)
@click.option("--annotator", "-a", default=None, help="Who is rating (default: your login name).")
@click.option(
    "--temperature",
    "-t",
    type=click.FloatRange(min=0),
    default=0.7,
    show_default=True,
    help="Sampling temperature, unless a contender sets its own.",
)
@click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=0.9, show_default=True)
@click.option("--max-new-tokens", "-n", type=click.IntRange(min=1), default=256, show_default=True)
@click.option(
    "--system", default=None, help="System prompt for items without one (default: Parley's)."
)
@click.option(
    "--shuffle-seed",
    type=int,
    default=None,
    help="Seed of the left/right coin (default: random; recorded with every vote).",
)
@dtype_option
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The ratings database (default: parley.db in $PARLEY_HOME).",
)
def arena(prompts_file, models, annotator, temperature, top_p, max_new_tokens, system,
          shuffle_seed, dtype, db_path):  # fmt: skip
    """Rate two models' answers side by side, one key a vote.

    \b
    1 left is better   2 right is better   3 tie   4 both bad
    r reason (text, quick tags, 1-5 scores)   s skip   u undo   esc leave

    Sides are shuffled per item. Every vote is saved at once; run the same command again (same
    prompts file and models) to resume where you stopped. Without a seed in --models, each
    item's seed comes from its text, so answers are reproducible. Export the votes with
    `parley prefs export`.

    \b
    parley arena --prompts prompts.txt --models smollm2-135m-instruct,./my-ckpt
    parley arena -p prompts.jsonl --models M@temperature=0.2,M@temperature=1.2 -a ana
    """
    from assistant.threads import quiet_torch_threads

    quiet_torch_threads()
    from assistant import store
    from assistant.models import resolve
    from assistant.rate import arena as arena_mod

    items = arena_mod.load_prompts(prompts_file)
    contenders = arena_mod.parse_contenders(models) if models else []
    for contender in contenders:  # a wrong name fails here, not in the middle of the screen
        resolve(contender.model)
    conn = store.connect(db_path)

    def engine_factory(name: str):
        from assistant.inference import load_engine

        # the session puts the system prompt into each item's context itself
        return load_engine(name, dtype=dtype)

    session = arena_mod.ArenaSession(
        conn,
        items,
        contenders,
        annotator or _default_annotator(),
        system_prompt=system,
        base_params={"temperature": temperature, "top_p": top_p, "max_new_tokens": max_new_tokens},
        shuffle_seed=shuffle_seed,
        engine_factory=engine_factory,
    )
    if session.next_index() is None:
        click.echo(
            f"{session.annotator} has rated all {session.n} items of this session already; "
            "`parley prefs export --out FILE.jsonl` writes them out.",
            err=True,
        )
        return
    from assistant.tui.arena import ArenaApp

    ArenaApp(session).run()
    done = len(session.done())
    click.echo(f"{done} of {session.n} items rated by {session.annotator}.", err=True)
