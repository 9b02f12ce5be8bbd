"""The scaffolder's text edits on their own: mounting in ``app.py`` and registering in the root
``pyproject.toml`` keep the file's layout, land exactly once, and refuse rather than guess."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "scaffold"))

from mount import mount_slice
from names import ScaffoldError, slice_names
from scaffold import render
from workspace import register_service

REPO = Path(__file__).resolve().parents[2]
APP = '''
"""An app."""

from __future__ import annotations

from demo.features.account.register_account import router as register_account
from demo.settings import Settings

SLICES = (
    register_account.plugin,  # the first one
)
'''


def _app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(APP).lstrip())
    return path


def test_mount_adds_one_import_and_one_plugin_and_keeps_comments(tmp_path: Path) -> None:
    app_py = _app(tmp_path)
    assert mount_slice(app_py, slice_names("demo", "account/update_password")) is True
    text = app_py.read_text()
    assert "from demo.features.account.update_password import router as update_password\n" in text
    assert "    register_account.plugin,  # the first one\n    update_password.plugin,\n)" in text


def test_mount_twice_changes_nothing(tmp_path: Path) -> None:
    app_py = _app(tmp_path)
    names = slice_names("demo", "account/update_password")
    mount_slice(app_py, names)
    once = app_py.read_text()
    assert mount_slice(app_py, names) is False
    assert app_py.read_text() == once


def test_mount_adds_the_missing_comma_after_the_last_entry(tmp_path: Path) -> None:
    app_py = _app(tmp_path)
    app_py.write_text(app_py.read_text().replace("  # the first one\n", "\n    login.plugin\n"))
    mount_slice(app_py, slice_names("demo", "session/close_session"))
    assert "    login.plugin,\n    close_session.plugin,\n)" in app_py.read_text()


def test_mount_rewrites_a_one_line_tuple(tmp_path: Path) -> None:
    app_py = tmp_path / "app.py"
    app_py.write_text("from demo.settings import Settings\n\nSLICES = ()\nX = 1\n")
    mount_slice(app_py, slice_names("demo", "note/add_note"))
    assert app_py.read_text() == (
        "from demo.settings import Settings\nfrom demo.features.note.add_note import router as add_note\n\n"
        "SLICES = (\n    add_note.plugin,\n)\nX = 1\n"
    )


def test_mount_picks_an_area_alias_when_the_action_name_is_taken(tmp_path: Path) -> None:
    app_py = _app(tmp_path)
    mount_slice(app_py, slice_names("demo", "session/register_account"))
    text = app_py.read_text()
    assert "import router as session_register_account\n" in text
    assert "session_register_account.plugin," in text


def test_mount_refuses_an_app_without_a_slices_tuple(tmp_path: Path) -> None:
    app_py = tmp_path / "app.py"
    app_py.write_text("import os\n")
    with pytest.raises(ScaffoldError, match="SLICES"):
        mount_slice(app_py, slice_names("demo", "note/add_note"))
    assert app_py.read_text() == "import os\n"


@pytest.mark.parametrize("bad", ["account", "Account/x", "a/b/c", "account/class", "a/plugin", "x/add_" + "y" * 60])
def test_slice_names_refuse_what_would_not_be_house_style(bad: str) -> None:
    with pytest.raises(ScaffoldError):
        slice_names("demo", bad)


@pytest.mark.parametrize("bad", ["account/change_password", "session/login", "avatar/batch_get_avatars", "post/delete"])
def test_slice_names_refuse_an_action_that_is_not_a_listed_verb_and_a_noun(bad: str) -> None:
    with pytest.raises(ScaffoldError) as refused:
        slice_names("demo", bad)
    assert all(verb in str(refused.value) for verb in ("add", "get", "publish", "update")), refused.value
    assert "SLICE_VERBS" in str(refused.value)


def test_slice_names_say_the_use_case() -> None:
    names = slice_names("identity", "account/update_password").template_values()
    assert names["Action"] == "UpdatePassword"
    assert names["INSERT_CONST"] == "INSERT_UPDATE_PASSWORD_REQUEST"
    assert names["route"] == "/v1/account/update-password"


def test_register_service_names_it_everywhere_the_standards_look() -> None:
    contracts = render("service/contracts.toml.tmpl", {"svc": "ledger"})
    text = register_service((REPO / "pyproject.toml").read_text(), "ledger", contracts)
    data = tomllib.loads(text)["tool"]
    linter = {c["id"]: c for c in data["importlinter"]["contracts"]}
    assert data["uv"]["sources"]["ledger"] == {"workspace": True}
    assert "ledger" in data["ruff"]["lint"]["isort"]["known-first-party"]
    assert "ledger" in data["importlinter"]["root_packages"]
    assert "ledger" in linter["kit-no-services"]["forbidden_modules"]
    assert "ledger" in linter["services-no-kit-testing"]["source_modules"]


def test_register_service_refuses_a_reshaped_pyproject_and_writes_nothing() -> None:
    text = (REPO / "pyproject.toml").read_text().replace("root_packages", "roots")
    with pytest.raises(ScaffoldError, match="root_packages"):
        register_service(text, "ledger", "")


def test_a_generated_slice_passes_the_code_health_checks(tmp_path: Path) -> None:
    """Its router matches every outcome with assert_never last, rows become Structs by name,
    the slice is verb_noun with a mirrored test (the scaffold tier runs every check on a whole
    generated service; this one is quick)."""
    from fleet_standards import health

    names = slice_names("demo", "note/add_note")
    values = names.template_values()
    package = tmp_path / "src" / "demo"
    folder = package / "features" / "note" / "add_note"
    folder.mkdir(parents=True)
    for init in (package, package / "features", package / "features" / "note"):
        (init / "__init__.py").write_text("")
    for part in ("__init__", "router", "schema", "command", "handler", "queries"):
        (folder / f"{part}.py").write_text(render(f"slice/{part}.py.tmpl", values))
    test = tmp_path / "tests" / "features" / "note" / "test_add_note.py"
    test.parent.mkdir(parents=True)
    test.write_text(render("slice/test_action.py.tmpl", values))
    src = [tmp_path / "src"]
    found = [
        *health.check_outcomes_exhaustive(src),
        *health.check_rows_by_name(src),
        *health.check_slice_names(src),
    ]
    assert found == [], "\n".join(map(str, found))
    assert "match outcome:" in (folder / "router.py").read_text()
