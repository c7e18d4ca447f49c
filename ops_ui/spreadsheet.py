"""CSV files that a German Excel opens right with a double click, and that cannot run formulas in it.

- ``;`` separates the cells: German Excel reads a CSV with the list separator of its region, and a comma is the
  German decimal mark (LibreOffice and Numbers detect it as well);
- UTF-8 with a byte-order mark: without it Excel reads the file as Windows-1252 and "Müller" turns into "MÃ¼ller";
- text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading ``'``: otherwise a
  customer named ``=HYPERLINK(…)`` becomes a live formula on the manager's machine (CSV injection). Phone numbers
  like ``+49 …`` are written ``'+49 …`` for the same reason. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

SEPARATOR = ";"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def safe_cell(value: Cell) -> Cell:
    """A text cell as a spreadsheet must show it: never read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The file piece by piece (the BOM and header first, then a line per row), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")

    def line(cells: Sequence[Cell]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A streamed download; the rows are read while it is sent, inside the request (its session and user)."""
    body = stream_with_context(chunk.encode("utf-8") for chunk in csv_lines(header, rows))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )
