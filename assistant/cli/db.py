"""`parley db check|recover`: is the database sound, and what can be saved from a damaged one.

parley db check                          # the default parley.db in $PARLEY_HOME
parley db recover -o ~/parley-saved.db   # a new file; the damaged one is never written to
"""

from __future__ import annotations

from pathlib import Path

import click

PATH_ARGUMENT = click.argument("path", required=False, type=click.Path(dir_okay=False))


def _path(path: str | None) -> Path:
    from assistant import paths

    return Path(path).expanduser() if path else paths.database_path()


@click.group("db")
def db_group() -> None:
    """The database of conversations and ratings: check it, recover a damaged one."""


@db_group.command("check")
@PATH_ARGUMENT
def check_cmd(path: str | None) -> None:
    """Run SQLite's integrity check on PATH (default: parley.db in $PARLEY_HOME), read-only.
    Exits 1 and lists the problems when the file is damaged."""
    from assistant.errors import DatabaseDamaged
    from assistant.store import repair

    db = _path(path)
    problems = repair.check(db)
    if problems:
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        raise DatabaseDamaged(
            f"{db} is damaged ({len(problems)} problem(s) above); move it aside and run "
            f"`parley db recover {click.format_filename(db)} -o NEW.db` to save what can be read"
        )
    rows = repair.counts(db)
    shown = ", ".join(f"{rows.get(t, 0)} {t}" for t in ("conversations", "messages", "ratings"))
    click.echo(f"{db}: ok ({shown})")


@db_group.command("recover")
@PATH_ARGUMENT
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The new database to write (must not exist).",
)
def recover_cmd(path: str | None, out: str) -> None:
    """Copy every row that can still be read from PATH (default: parley.db in $PARLEY_HOME) into
    a new database OUT. PATH is only read. Then move PATH aside and put OUT in its place."""
    from assistant.store import repair

    db = _path(path)
    result = repair.recover(db, Path(out).expanduser())
    copied = ", ".join(f"{n} {t}" for t, n in result.rows.items() if not t.startswith("_"))
    click.echo(f"wrote {result.out}: {copied}")
    if result.damaged_tables:
        click.echo(
            f"rows on damaged pages of {', '.join(result.damaged_tables)} could not be read",
            err=True,
        )
    sidecars = [Path(f"{db}{s}") for s in ("-wal", "-shm") if Path(f"{db}{s}").exists()]
    moves = "".join(f" && mv {p} {db}.damaged{p.name[len(db.name) :]}" for p in sidecars)
    click.echo(
        f"{db} is unchanged; to use the recovered file: mv {db} {db}.damaged{moves} && "
        f"mv {result.out} {db}",
        err=True,
    )
