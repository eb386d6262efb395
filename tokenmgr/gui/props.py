"""Enum-valued Qt settings by name, for the code on the way to the first paint.

PySide6 builds the whole `Qt` namespace the first time Python touches it: 94
Python enums, ≈11 ms on Python 3.11, as long as all the rest the window does
between importing PySide6 and its first paint. So nothing on that way touches
`Qt`: enum-valued settings go through Qt's property system by key name (Qt
turns the string into the enum in C++), the list's roles are plain ints
(entry_model), and its column titles come from a C++ model
(entry_model.with_headers). Code that runs later (keys, menus, dialogs) uses
`Qt` as usual. tests/gui/test_first_paint.py keeps it so.
"""

from __future__ import annotations

from typing import Any


def set_props(obj: Any, **props: str) -> None:
    """`set_props(label, alignment="AlignRight|AlignVCenter")`: each a Q_PROPERTY, by key
    name; a name or key Qt does not know raises (setProperty would only return False)."""
    for name, value in props.items():
        if not obj.setProperty(name, value):
            raise ValueError(f"{type(obj).__name__} refused {name}={value!r}")
