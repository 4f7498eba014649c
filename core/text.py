"""Text as it may be stored in a name (workspace, post title, channel): one line, no control characters.

Names travel into mail subjects (where a line break is a header injection, refused with an error after the
action was saved), log lines and page titles. Line breaks and tabs become one space, other C0/C1 controls
and DEL go, the ends are trimmed.
"""

from __future__ import annotations

import re

# CR, LF, TAB, VT, FF, NEL and the Unicode line/paragraph separators, with the spaces around them.
_BREAKS = re.compile(r"[ \u00a0]*[\t\n\v\f\r\x85\u2028\u2029]+[ \u00a0\t\n\v\f\r\x85\u2028\u2029]*")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def single_line(value: str) -> str:
    return _CONTROLS.sub("", _BREAKS.sub(" ", value)).strip()
