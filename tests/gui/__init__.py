"""GUI tests: pytest-qt offscreen, and the tray on Xvfb with trayer."""
