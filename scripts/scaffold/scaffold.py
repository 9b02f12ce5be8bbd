"""Generate a service or a slice in the house layout (``make new-service``, ``make new-slice``).

    python scripts/scaffold/scaffold.py slice <service> <area>/<action>
    python scripts/scaffold/scaffold.py service <name> [--slice <area>/<action>] [--description TEXT]

What it writes passes ruff, mypy --strict, import-linter, tests/standards and its own generated
test with no edits (tests/scaffold proves it on a copy of the repository). It refuses, and
writes nothing, when a target already exists. Templates live in ``templates/``; a ``{{key}}``
there is replaced by the names in ``names.SliceNames`` or the service's names.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

from mount import mount_slice
from names import ScaffoldError, SliceNames, pascal, slice_names, validate_service_name
from workspace import register_service

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
_KEY = re.compile(r"\{\{(\w+)\}\}")


def render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            msg = f"template {template} uses {{{{{key}}}}}, which has no value"
            raise ScaffoldError(msg)
        return values[key]

    return _KEY.sub(value, text)


def _write(path: Path, text: str, written: list[Path]) -> None:
    if path.exists():
        msg = f"{path.relative_to(ROOT)} already exists; nothing more was written"
        raise ScaffoldError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def _next_migration(folder: Path) -> str:
    numbers = [int(m.group(1)) for f in folder.glob("*.sql") if (m := re.match(r"^(\d{4})_", f.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def _ruff(paths: list[Path]) -> None:
    """Sort the imports and format what was written, with the repository's own ruff settings."""
    ruff = Path(sys.executable).with_name("ruff")
    exe = str(ruff) if ruff.exists() else shutil.which("ruff")
    if exe is None:
        print("ruff not found: run `make fmt` before committing", file=sys.stderr)
        return
    files = [str(p) for p in paths if p.suffix == ".py"]
    subprocess.run([exe, "check", "--quiet", "--fix", "--select", "I", *files], cwd=ROOT, check=True)
    subprocess.run([exe, "format", "--quiet", *files], cwd=ROOT, check=True)


def _test_name_clash(names: SliceNames) -> Path | None:
    """Service tests run in one pytest session without packages, so test file names must be unique."""
    wanted = f"test_{names.action}.py"
    roots = [*ROOT.glob("services/*/tests"), ROOT / "base-image" / "fleetkit" / "tests"]
    return next((p for root in roots for p in root.rglob(wanted)), None)


def new_slice(service: str, slice_path: str, *, fmt: bool = True) -> list[Path]:
    names = slice_names(service, slice_path)
    package = ROOT / "services" / service / "src" / service
    app_py = package / "app.py"
    if not app_py.is_file():
        msg = f"no service {service!r} ({app_py.relative_to(ROOT)} missing): `make new-service NAME={service}` first"
        raise ScaffoldError(msg)
    folder = package / "features" / names.area / names.action
    if folder.exists():
        msg = f"slice {names.area}/{names.action} already exists in {service} ({folder.relative_to(ROOT)})"
        raise ScaffoldError(msg)
    clash = _test_name_clash(names)
    if clash is not None:
        msg = f"{clash.relative_to(ROOT)} exists: pytest needs unique test file names; pick another action name"
        raise ScaffoldError(msg)
    values = names.template_values()
    written: list[Path] = []
    for init in (package / "features" / "__init__.py", package / "features" / names.area / "__init__.py"):
        if not init.exists():
            _write(init, "", written)
    for part in ("__init__", "router", "schema", "command", "handler", "queries"):
        _write(folder / f"{part}.py", render(f"slice/{part}.py.tmpl", values), written)
    tests = ROOT / "services" / service / "tests" / "features" / names.area / f"test_{names.action}.py"
    _write(tests, render("slice/test_action.py.tmpl", values), written)
    migrations = package / "migrations"
    migration = migrations / f"{_next_migration(migrations)}_{names.action}.sql"
    _write(migration, render("slice/migration.sql.tmpl", values), written)
    mounted = mount_slice(app_py, names)
    if fmt:
        _ruff([*written, app_py])
    for path in written:
        print(f"  created  {path.relative_to(ROOT)}")
    state = "mounted " if mounted else "unchanged"
    print(f"  {state}  {names.area}/{names.action} in {app_py.relative_to(ROOT)}")
    print(f"  route    POST {names.route} (token required)")
    return written


def _chart_help(values: dict[str, str]) -> str:
    svc = values["svc"]
    return f"""
Chart (not edited automatically: the umbrella chart names its services in six places, and its strict
schema and templates must agree). Add to charts/fleet/values.yaml:

{render("service/chart-values.yaml.tmpl", values)}
to charts/fleet/Chart.yaml under dependencies:

{render("service/chart-dependency.yaml.tmpl", values)}
and: "{svc}" in charts/fleet/values.schema.json (a property like "social", and in "required");
{svc} in the service list of charts/fleet/templates/_helpers.tpl ("fleet.umbrella.services") and in
templates/NOTES.txt; {svc} in identity's networkPolicy.clients (it fetches the JWKS); a {svc} block in
values-kind.yaml (copy social's). Then `make test-charts`.
"""


def new_service(name: str, *, slice_path: str | None, description: str | None, lock: bool, fmt: bool) -> None:
    validate_service_name(name)
    root = ROOT / "services" / name
    if root.exists():
        msg = f"services/{name} already exists"
        raise ScaffoldError(msg)
    if importlib.util.find_spec(name) is not None:
        msg = f"a module named {name!r} is already importable here; a service package would shadow it"
        raise ScaffoldError(msg)
    text = description or f"The {name} service."
    if re.search(r'["\\\n{}]', text):
        msg = "DESCRIPTION may not contain quotes, backslashes, braces or newlines"
        raise ScaffoldError(msg)
    example = slice_path or f"{name}/add_{name}_note"
    clash = _test_name_clash(slice_names(name, example))
    if clash is not None:
        msg = f"{clash.relative_to(ROOT)} exists: pytest needs unique test file names; pass another SLICE"
        raise ScaffoldError(msg)
    values = {"svc": name, "Svc": pascal(name), "SVC": name.upper(), "description": text}
    pyproject = ROOT / "pyproject.toml"
    registered = register_service(pyproject.read_text("utf-8"), name, render("service/contracts.toml.tmpl", values))
    package = root / "src" / name
    written: list[Path] = []
    _write(root / "pyproject.toml", render("service/pyproject.toml.tmpl", values), written)
    _write(root / "README.md", render("service/README.md.tmpl", values), written)
    for module in ("__init__", "__main__", "app", "settings"):
        _write(package / f"{module}.py", render(f"service/{module}.py.tmpl", values), written)
    _write(package / "py.typed", "", written)
    _write(package / "migrations" / "0001_init.sql", render("service/0001_init.sql.tmpl", values), written)
    _write(root / "tests" / "conftest.py", render("service/conftest.py.tmpl", values), written)
    pyproject.write_text(registered, encoding="utf-8")
    for path in written:
        print(f"  created  {path.relative_to(ROOT)}")
    print(f"  updated  pyproject.toml ({name} in uv sources, ruff, import-linter; four contracts)")
    new_slice(name, example, fmt=False)
    if fmt:
        _ruff(sorted(root.rglob("*.py")))
    if lock:
        print("$ uv lock")
        subprocess.run(["uv", "lock"], cwd=ROOT, check=True)
    print(_chart_help(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("slice", help="a slice in an existing service")
    one.add_argument("service")
    one.add_argument("slice", metavar="area/action")
    svc = commands.add_parser("service", help="a new service with one example slice")
    svc.add_argument("name")
    svc.add_argument("--slice", metavar="area/action", help="the example slice (default <name>/add_<name>_note)")
    svc.add_argument("--description", help="one sentence: what the service owns")
    svc.add_argument("--no-lock", action="store_true", help="skip `uv lock`")
    for sub in (one, svc):
        sub.add_argument("--no-format", action="store_true", help="skip ruff (isort + format) on the result")
    args = parser.parse_args(argv)
    try:
        if args.command == "slice":
            new_slice(args.service, args.slice, fmt=not args.no_format)
        else:
            new_service(
                args.name,
                slice_path=args.slice,
                description=args.description,
                lock=not args.no_lock,
                fmt=not args.no_format,
            )
    except ScaffoldError as exc:
        print(f"scaffold: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
