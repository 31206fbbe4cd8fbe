import subprocess
import sys


def test_core_domain_loads_no_framework():
    probe = (
        "import sys, importlib, pkgutil, core.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__): importlib.import_module('core.domain.' + m.name)\n"
        "print(','.join(sorted(n for n in ('flask', 'celery', 'sqlalchemy') if n in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
