"""The layers: the domain loads no framework and no database library; core (domain and use cases) loads neither
Flask nor Celery; the web never imports the worker; no two modules import each other, directly or round a longer
circle. Checked on the source, lazy imports inside functions included."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_domain_loads_no_framework():
    probe = (
        "import sys, importlib, pkgutil, core.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__): importlib.import_module('core.domain.' + m.name)\n"
        "print(','.join(sorted(n for n in ('flask', 'celery', 'sqlalchemy') if n in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def _imports(folder: Path) -> dict[str, set[str]]:
    """Per source file under `folder`, the modules it imports anywhere in its body."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(folder.parent))] = names
    return found


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{path}: {name}" for path, names in _imports(folder).items() for name in names
                  if name.split(".")[0] in forbidden)


def test_the_web_never_imports_the_worker():
    assert _offenders(ROOT / "web", ("worker",)) == []


def test_core_imports_neither_flask_nor_celery():
    # kombu, the messaging library under Celery, is allowed: core.health asks the broker whether it answers
    assert _offenders(ROOT / "core", ("flask", "flask_login", "flask_wtf", "flask_babel", "celery",
                                      "web", "worker")) == []


def test_the_domain_imports_no_database_library():
    assert _offenders(ROOT / "core" / "domain", ("sqlalchemy", "psycopg")) == []


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "views.py").write_text("def page():\n    from worker.app import app\n    return app\n")
    assert _offenders(tmp_path / "web", ("worker",)) == ["web/views.py: worker.app"]


def _module_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports (a `from package import module` counts as the module)."""
    files = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            files[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name in files}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in files else node.module)
        graph[name] = {module for module in found if module in files and module != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules():
    assert _cycles(_module_graph(ROOT, ("core", "web", "worker", "letters"))) == []


def test_the_cycle_check_finds_a_circle_closed_by_a_lazy_import(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text("from core import b\n")
    (tmp_path / "core" / "b.py").write_text("from core import c\n")
    (tmp_path / "core" / "c.py").write_text("def later():\n    import core.a\n")
    assert _cycles(_module_graph(tmp_path, ("core",))) == [["core.a", "core.b", "core.c"]]
