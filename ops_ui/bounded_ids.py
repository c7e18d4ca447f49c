"""Ids in URLs within the range an integer column holds, on SQLite and PostgreSQL alike.

``<int:…>`` routes use this converter (installed in create_app before any route exists): a bigger number matches
no route and answers 404, where it used to reach the database and overflow (500).
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_ID = 2**31 - 1
"""PostgreSQL's ``integer``; SQLite holds more, but the same rule applies everywhere."""


class BoundedIntegerConverter(IntegerConverter):
    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)) + 8:
            raise ValidationError()  # leading zeros are fine, but thousands of digits are not worth converting
        return super().to_python(value)
