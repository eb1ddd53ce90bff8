"""`parley arena`: a preference-rating session in the terminal (the TUI in assistant/tui/arena.py,
the session logic in assistant/rate/arena.py)."""

from __future__ import annotations

import click

from assistant.cli.options import db_option, dtype_option, sampling_option
from assistant.rate.arena_inputs import PARAM_KEYS


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
    f"e.g. M@temperature=0.2,M@temperature=1.0,seed=3 (keys: {', '.join(PARAM_KEYS)}). "
    "Not needed when every item brings its two responses.",
)
@click.option("--annotator", "-a", default=None, help="Who is rating (default: your login name).")
@sampling_option(
    "temperature", default=0.7, help="Sampling temperature, unless a contender sets its own."
)
@sampling_option("top_p")
@sampling_option("max_new_tokens", default=256)
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
@db_option
def arena(
    prompts_file, models, annotator, system, shuffle_seed, backend, dtype, db_path, **sampling
):
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
    from assistant.inference.threads import quiet_torch_threads

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
        return load_engine(name, backend=backend, dtype=dtype)

    session = arena_mod.ArenaSession(
        conn,
        items,
        contenders,
        annotator or _default_annotator(),
        system_prompt=system,
        base_params=sampling,
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
