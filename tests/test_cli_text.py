"""Text that is not UTF-8, as a shell hands it to Parley (raw bytes on stdin, a Latin-1 word in
an argument): one line that names the byte and what to do, exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _parley(*args: bytes | str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def _the_error(run: subprocess.CompletedProcess) -> str:
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 2, stderr
    assert "Traceback" not in stderr
    # (a broken tool plugin in the environment may add its own warning line before it)
    errors = [line for line in stderr.splitlines() if line.startswith("parley: error:")]
    assert len(errors) == 1 and stderr.rstrip().endswith(errors[0]), stderr
    assert run.stdout == b""
    return errors[0]


@pytest.mark.parametrize(
    ("stdin", "byte"),
    [(b"\xff\xfe", "0xff at position 0"), (b"Ol\xe1, bom dia", "0xe1 at position 2")],
)
def test_stdin_that_is_not_utf8_is_one_line(stdin, byte):
    error = _the_error(_parley("ask", "-", stdin=stdin))
    assert error == (
        f"parley: error: stdin is not UTF-8 text (byte {byte}): convert it first, "
        "e.g. iconv -f latin1 -t utf-8 (or set a UTF-8 locale)"
    )


def test_random_bytes_on_stdin_are_one_line():
    noise = bytes(range(256)) * 4  # NUL to 0xff: invalid UTF-8 from 0x80 on
    assert "stdin is not UTF-8 text (byte 0x80 at position 128)" in _the_error(
        _parley("ask", "-", stdin=noise)
    )


def test_a_latin1_argument_is_one_line():
    assert "the prompt is not UTF-8 text (byte 0xe9 at position 3)" in _the_error(
        _parley("ask", b"caf\xe9?")
    )
    assert "--system is not UTF-8 text (byte 0xe7" in _the_error(
        _parley("ask", "--system", b"Fran\xe7ais", "Hi")
    )


def test_a_latin1_word_for_a_tool_is_one_line():
    error = _the_error(_parley("tool", "translate", "--to", "pt", b"caf\xe9 com leite"))
    assert "/translate argument 3 is not UTF-8 text (byte 0xe9 at position 3)" in error
    error = _the_error(_parley("ask", b"/sentiment \xe9timo"))
    assert "the prompt is not UTF-8 text (byte 0xe9 at position 11)" in error
