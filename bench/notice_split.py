"""Benchmark: splitting a notice of maximal length (12,288 visible characters, three messages)
into Telegram messages, as the notice is queued. Figures only: this is not a test and asserts
nothing. Goal < 10 ms for each text.

The texts are what made the split slow before: many short lines (a cut may fall after any of
them), the same with every line in bold, one long line without spaces, and emoji (two UTF-16
units each).

    .venv/bin/python -m bench.notice_split [--repeat 20]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable

from bench.common import timing_line
from rules import notices as rules

LENGTH = rules.MAX_NOTICE_TEXT  # visible characters


def short_lines(width: int, markup: bool) -> str:
    """Lines of `width` characters and a newline, bold when `markup`, LENGTH in all."""
    count = LENGTH // (width + 1)
    lines = [f"{i % 10 ** width:0{width}d}" for i in range(count)]
    if markup:
        lines = [f"<b>{line}</b>" for line in lines]
    return "".join(f"{line}\n" for line in lines) + "x" * (LENGTH - count * (width + 1))


def texts() -> dict[str, str]:
    return {
        "lines of 1, plain": short_lines(1, False),
        "lines of 1, <b> on every line": short_lines(1, True),
        "lines of 5, plain": short_lines(5, False),
        "lines of 5, <b> on every line": short_lines(5, True),
        "one line without spaces": "<i>" + "x" * LENGTH + "</i>",
        "emoji lines, nested markup": "\n".join(
            f"<b><i>{'🎉' * 4} &amp;</i></b>" for _ in range(LENGTH // 11)
        ),
    }


def timed_sync(action: Callable[[], object], repeat: int) -> list[float]:
    """Durations in seconds of `repeat` runs after one untimed run."""
    action()
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return durations


def main(repeat: int) -> None:
    print(f"split_html of a notice of {LENGTH:,} visible characters (goal < 10 ms each)")
    for label, source in texts().items():
        parts = rules.split_html(source)
        durations = timed_sync(functools.partial(rules.split_html, source), repeat)
        note = f"{len(source):,} chars of HTML, {len(parts)} parts"
        print(timing_line(label, durations, note))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    main(arguments.repeat)
