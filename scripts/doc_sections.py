"""The marked sections of docs/validation.md that each validation script owns and rewrites."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, name: str, section: str) -> None:
    """Put `section` between the markers ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` of `path`
    (appended with them if absent); the rest of the file is kept."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
