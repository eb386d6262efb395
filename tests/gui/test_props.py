"""gui/props.set_props: enum-valued Q_PROPERTY settings by key name, refusing what Qt does
not know (QObject.setProperty alone would only return False)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QScrollArea, QToolBar, QWidget

from tokenmgr.gui.props import set_props

pytestmark = pytest.mark.gui


def test_an_alignment_by_key_names(qapp: object) -> None:
    label = QLabel("x")
    set_props(label, alignment="AlignRight|AlignVCenter")
    assert label.alignment() == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    set_props(label, alignment="AlignCenter")
    assert label.alignment() == Qt.AlignmentFlag.AlignCenter


def test_the_settings_the_window_makes_by_name(qapp: object) -> None:
    bar = QToolBar()
    set_props(bar, toolButtonStyle="ToolButtonTextOnly")
    assert bar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextOnly
    widget = QWidget()
    set_props(widget, contextMenuPolicy="CustomContextMenu")
    assert widget.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    scroll = QScrollArea()
    set_props(scroll, horizontalScrollBarPolicy="ScrollBarAlwaysOff",
              verticalScrollBarPolicy="ScrollBarAlwaysOn")
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert scroll.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOn
    action = QAction("Add")
    set_props(action, shortcut="Ctrl+Shift+N")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+N")


def test_an_unknown_property_name_raises(qapp: object) -> None:
    label = QLabel("x")
    with pytest.raises(ValueError, match="QLabel refused alignmnet='AlignCenter'"):
        set_props(label, alignmnet="AlignCenter")


@pytest.mark.parametrize("value", ["AlignMiddle", "AlignRight|Bogus", ""])
def test_an_unknown_enum_key_raises_and_changes_nothing(qapp: object, value: str) -> None:
    label = QLabel("x")
    set_props(label, alignment="AlignRight")
    with pytest.raises(ValueError, match="alignment"):
        set_props(label, alignment=value)
    assert label.alignment() == Qt.AlignmentFlag.AlignRight
