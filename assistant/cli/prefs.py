"""`parley prefs export|import|stats`: ratings out as TRL preference data, in from JSONL, and
quality control with a leaderboard. The formats are described in `assistant/rate/prefs.py` (out)
and `assistant/rate/prefs_import.py` (in)."""

from __future__ import annotations

import json

import click

from assistant.cli.options import choice_option, count_option, db_option


@click.group("prefs")
def prefs_group() -> None:
    """Preference ratings: export them for training, import others', look at their quality."""


@prefs_group.command("export")
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(),
    help="FILE.jsonl (or a directory for --format hf).",
)
@choice_option(
    "--format",
    "fmt",
    choices=["trl", "hf"],
    help="trl: JSONL, one {prompt, chosen, rejected} a line; hf: a datasets "
    "directory (Dataset.save_to_disk) with the same columns.",
)
@choice_option(
    "--ties",
    choices=["drop", "keep"],
    help="drop: ties are left out; keep: each tie becomes two mirrored rows (A over B "
    'and B over A, marked "tie": true).',
)
@click.option("--redact", is_flag=True, help="Leave out who rated (the annotator field).")
@click.option(
    "--include-stopped",
    is_flag=True,
    help="Keep pairs with an answer that was stopped or cut off at the token limit.",
)
@db_option
def export_cmd(out, fmt, ties, redact, include_stopped, db_path):
    """Write the ratings in force as TRL conversational preference pairs.

    `prompt` is the whole context (system prompt first); `chosen` and `rejected` are one
    assistant message each. Undone votes, skips and "both bad" votes are never exported (both-bad
    says neither response is good, not which is better); ties follow --ties. The file appears
    whole or not at all (written to a temporary name, then renamed).

    \b
    parley prefs export --out prefs.jsonl
    parley prefs export --out prefs-ds --format hf --ties keep --redact
    """
    from assistant import store
    from assistant.rate import prefs

    conn = store.connect(db_path)
    summary = prefs.export(
        conn, out, fmt=fmt, ties=ties, redact=redact, include_stopped=include_stopped
    )
    click.echo(summary.line(click.format_filename(out)), err=True)


@prefs_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Import nothing if any line is malformed.")
@click.option(
    "--annotator",
    default=None,
    help="Who rated, for lines without an annotator field (default: import:<file name>).",
)
@db_option
def import_cmd(file, strict, annotator, db_path):
    """Import TRL preference JSONL (from `parley prefs export`, another annotator, or a public
    dataset): `chosen`/`rejected` as strings or message lists, `prompt` as a string or messages
    (or left out: the shared beginning of chosen and rejected is the prompt).

    A malformed line is reported as FILE:LINE and none of it is stored; the valid lines are
    stored (all in one transaction), or with --strict nothing is. Lines whose `id` is already in
    the database are skipped, and lines without one whose content (prompt, chosen, rejected, tie)
    was imported before, so importing a file twice stores it once. A pair whose chosen and
    rejected texts are identical is reported and not stored.
    """
    from assistant import store
    from assistant.rate import prefs_import

    conn = store.connect(db_path)
    report = prefs_import.import_file(conn, file, strict=strict, annotator=annotator)
    for error in report.errors:
        click.echo(f"parley: skipped {error}", err=True)
    for where in report.same_text:
        click.echo(
            f"parley: warning: skipped {where}: chosen and rejected are the same text "
            "(no preference to learn)",
            err=True,
        )
    same = f", {len(report.same_text)} with identical chosen and rejected" * bool(report.same_text)
    click.echo(
        f"imported {report.stored} preference(s) from {click.format_filename(file)}; "
        f"{report.duplicates} already present, {len(report.errors)} malformed line(s) skipped"
        f"{same}",
        err=True,
    )


@prefs_group.command("stats")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw the leaderboard and position bias into FILE.png.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@count_option(
    "--bootstrap", low=10, default=200, help="Bootstrap resamples for the leaderboard's intervals."
)
@db_option
def stats_cmd(plot, as_json, bootstrap, db_path):
    """Counts per annotator and model, left/right position bias, self-consistency on repeated
    pairs, agreement between annotators (raw and Cohen's kappa), accuracy on gold items, and a
    Bradley-Terry leaderboard with bootstrap 95% intervals."""
    from assistant import store
    from assistant.rate import prefs_stats

    conn = store.connect(db_path)
    stats = prefs_stats.compute(conn, bootstrap=bootstrap)
    if as_json:
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        click.echo(prefs_stats.report(stats))
    if plot:
        prefs_stats.plot(stats, plot)
        click.echo(f"plot written to {click.format_filename(plot)}", err=True)
