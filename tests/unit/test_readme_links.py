"""The README points only at what a clone holds: every relative link and every repository path it names in
backticks exists, and nothing points outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
BACKTICKED = re.compile(r"`([^`\n]+)`")
# A repository path: words joined by slashes, optionally a leading ./ or ../ (no URL, no route, no placeholder).
REPO_PATH = re.compile(r"^(?:\.{1,2}/)*[\w.+-]+(?:/[\w.+-]+)+/?$")
# created by `make run`, `make install`, `make bench`, `make translations-extract`
MADE_AT_RUN_TIME = ("var/", ".venv/", "bench/out/", "web/translations/messages.pot")
BESIDE_THE_CLONE = "../" + "shared"  # spelled apart so that the search below does not find this file


def named_paths(text: str) -> list[str]:
    """Relative link targets and backticked repository paths (only the first word of a backticked command)."""
    found = [target.split("#", 1)[0] for target in MARKDOWN_LINK.findall(text)
             if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", target)]
    for quoted in BACKTICKED.findall(text):
        first = quoted.split()[0]
        if REPO_PATH.match(first) and not first.startswith(MADE_AT_RUN_TIME):
            found.append(first)
    return [path for path in found if path]


def missing(text: str, root: Path) -> list[str]:
    problems = []
    for path in named_paths(text):
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.exists():
            problems.append(path)
    return problems


def test_every_path_the_readme_names_exists_in_the_repository():
    assert missing((ROOT / "README.md").read_text(encoding="utf-8"), ROOT) == []


def test_the_check_catches_a_link_outside_the_clone_and_a_missing_file(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "RULES.md").write_text("rules")
    text = (f"See `{BESIDE_THE_CLONE}/DOMAIN.md`, [the rules](docs/RULES.md#r2), [gone](docs/GONE.md),\n"
            "`docs/RULES.md`, `core/nothing.py --help`, `/staff/operations`, `sqla+sqlite:///var/broker.sqlite`,\n"
            "`var/mail/`, "
            "[site](https://example.ch/x) and [top](#top).")
    assert missing(text, tmp_path) == ["docs/GONE.md", f"{BESIDE_THE_CLONE}/DOMAIN.md", "core/nothing.py"]


def test_nothing_in_the_repository_points_at_a_folder_beside_the_clone():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    offenders = []
    for name in filter(None, tracked.decode().split("\0")):
        path = ROOT / name
        if path.is_file() and BESIDE_THE_CLONE in path.read_bytes().decode("utf-8", "replace"):
            offenders.append(name)
    assert offenders == []
