"""Every third-party module the application imports (outside tests) is installed in
production: the Docker image runs `uv sync --no-dev`, so a package the code needs must be a
runtime dependency in pyproject.toml, or one of theirs (from uv.lock), never only in the dev
group."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("housing", "tenancies", "rents", "repairs", "voids", "rtb_leasehold", "portal")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def runtime_distributions() -> set[str]:
    """The project's runtime dependencies and all of theirs, from the lock file."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    requires = {package["name"]: [_name(d["name"]) for d in package.get("dependencies", [])]
                + [_name(d["name"]) for extra in package.get("optional-dependencies", {})
                   .values() for d in extra]
                for package in lock["package"]}
    found, todo = set(), [_name(r) for r in project["dependencies"]]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(requires.get(name, []))
    return found


def imported_modules() -> dict[str, str]:
    """Top-level modules imported by application code: {module: a file importing it}."""
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    modules.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return modules


def test_every_module_the_application_imports_is_a_runtime_dependency():
    runtime = runtime_distributions()
    providers = packages_distributions()
    missing = []
    for module, where in sorted(imported_modules().items()):
        if module in sys.stdlib_module_names or module in APPS or (ROOT / module).exists():
            continue
        distributions = {_name(d) for d in providers.get(module, [])}
        if not distributions & runtime:
            missing.append(f"{module} (imported in {where}; from {distributions or '?'})")
    assert not missing, "Not installed in production: " + "; ".join(missing)


def test_the_check_finds_a_dev_only_package():
    assert "pytest" not in runtime_distributions()
    assert "pypdf" in runtime_distributions() and "django" in runtime_distributions()
