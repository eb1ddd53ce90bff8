"""`python -m assistant.cli` is `parley`."""

from assistant.cli import main

main(prog_name="parley")
