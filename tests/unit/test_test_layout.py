"""The test suite's own layout: what tests share lives in tests/support/.

A test module that imports another test module (or a conftest) drags that module's tests
and fixtures along, runs its import-time code twice under two names, and breaks as soon
as the other module is renamed or split. So every `tests/**/*.py` is read with `ast` and:

- no module imports a `test_*` module or a `conftest`, nor a name from a package that
  would be one (`from tests.gui import test_login_dialog`);
- what a module imports from the suite is in tests/support/, or is a program of its own
  directory (a benchmark or fuzzer next to the test that runs it briefly);
- shared fixtures are registered once, by `pytest_plugins` in the root conftest, from
  modules in tests/support/ (pytest accepts `pytest_plugins` nowhere else).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the module imported, dotted from the repository's root

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.module}"


def suite_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "node_modules" not in p.parts)


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imports(path: Path) -> list[Import]:
    """Every module `path` imports (at any depth), relative imports resolved; for `from X
    import Y`, both X and X.Y (Y may be a submodule)."""
    package = dotted(path).rsplit(".", 1)[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(path, node.lineno, base))
            found += [Import(path, node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


def is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def exists(module: str) -> bool:
    base = ROOT.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def suite_imports() -> list[Import]:
    return [
        i
        for p in suite_files()
        for i in imports(p)
        if (i.module == "tests" or i.module.startswith("tests.")) and exists(i.module)
    ]


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    bad = [str(i) for i in suite_imports() if is_test_or_conftest(i.module)]
    assert bad == [], "move what they share into tests/support/:\n" + "\n".join(bad)


def is_program(module: str) -> bool:
    """The module runs as a program of its own (`if __name__ == "__main__":`)."""
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return any(
        isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body
    )


def test_what_tests_share_lives_in_tests_support() -> None:
    def allowed(i: Import) -> bool:
        package = i.module.rsplit(".", 1)[0]
        return (
            i.module == "tests.support"
            or i.module.startswith("tests.support.")
            or ROOT.joinpath(*i.module.split(".")).is_dir()  # a package: its modules count
            or (package == dotted(i.path).rsplit(".", 1)[0] and is_program(i.module))
        )

    bad = [str(i) for i in suite_imports() if not allowed(i)]
    assert bad == [], "move these modules into tests/support/:\n" + "\n".join(bad)


def plugin_lists(path: Path) -> list[ast.expr]:
    """The values assigned to `pytest_plugins` in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets)
    ]


def test_shared_fixtures_are_plugins_of_the_root_conftest() -> None:
    plugins = plugin_lists(TESTS / "conftest.py")
    assert len(plugins) == 1, "the root conftest registers the shared fixtures once"
    names = ast.literal_eval(plugins[0])
    assert names, "the root conftest's pytest_plugins names the shared fixture modules"
    for name in names:
        assert name.startswith("tests.support.") and exists(name), name
    elsewhere = [
        str(p.relative_to(ROOT))
        for p in suite_files()
        if p != TESTS / "conftest.py" and plugin_lists(p)
    ]
    assert elsewhere == [], "pytest_plugins belongs in the root conftest only"
