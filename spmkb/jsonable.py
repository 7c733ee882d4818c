"""``Jsonable``: the ``to_dict()`` of dataclasses whose JSON form is just their fields."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


class Jsonable:
    """Mixin for a dataclass: ``to_dict()`` returns its fields (nested ones too) as a dict."""

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (``dataclasses.asdict``)."""
        return asdict(self)  # type: ignore[arg-type]
