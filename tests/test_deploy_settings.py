"""The production settings pass Django's deployment checklist, with exactly the
environment the README's production snippet sets."""

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _readme_production_environment() -> str:
    """The first sh block of the README's "Production and scale-out" section."""
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme.split("## Production and scale-out", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def _run_snippet(snippet: str, cwd: Path) -> dict[str, str]:
    """Run `snippet` in bash, from an environment that holds only PATH (with this venv's
    python first) and HOME, and return the environment it leaves."""
    base = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(cwd),
    }
    result = subprocess.run(
        ["bash", "-euc", f"{snippet}\nenv -0"],
        cwd=cwd,
        env=base,
        capture_output=True,
        check=True,
        timeout=60,
    )
    pairs = (entry.split("=", 1) for entry in result.stdout.decode().split("\0") if entry)
    return dict(pairs)


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_readme_production_snippet_passes_check_deploy(tmp_path):
    env = _run_snippet(_readme_production_environment(), tmp_path)
    assert env["DEBUG"] == "0" and env["HTTPS"] == "1"
    result = _check_deploy(env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_https_the_checklist_warns(tmp_path):
    """The snippet's HTTPS=1 is what the checklist needs (W004, W008, W012, W016)."""
    env = {**_run_snippet(_readme_production_environment(), tmp_path), "HTTPS": "0"}
    result = _check_deploy(env)
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr
