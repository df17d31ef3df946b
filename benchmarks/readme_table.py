"""Write the README's benchmark table from ``bench-results.json`` (never pasted by hand).

``python -m benchmarks.readme_table [RESULTS] [README]`` replaces what lies between
``<!-- bench-results:start -->`` and ``<!-- bench-results:end -->`` in the README with a
Markdown table of the figures and the machine they were measured on. ``make bench``
runs it after a full run.

Example:
    >>> doc = {"rows": 10, "generated_at": "2026-01-01T00:00:00+00:00",
    ...        "machine": {"cores": 2, "memory_gib": 4.0, "cpu": "x", "python": "3.11.7",
    ...                    "prefect": "3.9.1"},
    ...        "figures": [{"label": "videos created per row", "value": 1.0, "digits": 2,
    ...                     "target": "== 1.00", "met": True, "beside": ""}]}
    >>> print(markdown_table(doc).splitlines()[2])
    | videos created per row | 1.00 | == 1.00 | yes |  |
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

START = "<!-- bench-results:start -->"
END = "<!-- bench-results:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(doc: dict[str, Any]) -> str:
    """The figures of one results document as a Markdown table, with its machine."""
    lines = [
        "| figure | value | target | met | beside it |",
        "|---|---:|---|---|---|",
    ]
    for f in doc["figures"]:
        value = "n/a" if f["value"] is None else f"{f['value']:,.{f['digits']}f}"
        met = "" if f["met"] is None else ("yes" if f["met"] else "**no**")
        lines.append(
            f"| {_cell(f['label'])} | {value} | {_cell(f['target'])} | {met} "
            f"| {_cell(f['beside'])} |"
        )
    m = doc["machine"]
    lines += [
        "",
        f"{doc['rows']:,} rows; measured {doc['generated_at']} on {m['cores']} cores, "
        f"{m['memory_gib']} GiB ({m['cpu']}), Python {m['python']}, Prefect {m['prefect']}"
        + (f"; Prefect API: {doc['prefect_api']}" if doc.get("prefect_api") else "")
        + ".",
    ]
    return "\n".join(lines)


def update_readme(results: Path, readme: Path) -> None:
    """Replace the marked section of ``readme`` with the table of ``results``."""
    doc = json.loads(results.read_text())
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} section to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{markdown_table(doc)}\n{END}{tail}")


def main(argv: list[str]) -> None:
    results = Path(argv[0]) if argv else Path("bench-results.json")
    readme = Path(argv[1]) if len(argv) > 1 else Path("README.md")
    update_readme(results, readme)
    print(f"{readme}: benchmark table written from {results}")


if __name__ == "__main__":
    main(sys.argv[1:])
