"""Line-by-line tracking of fenced code blocks (```` ``` ```` / ``~~~``) in Markdown source."""

from __future__ import annotations

import re

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class FenceTracker:
    """Feed Markdown lines in order; tells which ones belong to fenced code."""

    def __init__(self) -> None:
        self.fence: str | None = None

    def in_code(self, line: str) -> bool:
        """Consume ``line``; True when it is a fence line or inside a fenced code block."""
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if self.fence is None:
                self.fence = mark[0] * 3
            elif mark.startswith(self.fence):
                self.fence = None
            return True
        return self.fence is not None
