"""The layers: the domain loads no framework and no database library; core (domain and use cases) loads neither
Flask nor Celery; the web never imports the worker. Checked on the source, lazy imports inside functions included."""

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
    assert _offenders(ROOT / "core", ("flask", "flask_login", "flask_wtf", "flask_limiter", "flask_babel", "celery",
                                      "web", "worker")) == []


def test_the_domain_imports_no_database_library():
    assert _offenders(ROOT / "core" / "domain", ("sqlalchemy", "psycopg")) == []


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "views.py").write_text("def page():\n    from worker.app import app\n    return app\n")
    assert _offenders(tmp_path / "web", ("worker",)) == ["web/views.py: worker.app"]
