"""Slice names: every ``features/<area>/<action>`` is ``<verb>_<noun...>`` with a listed verb,
and its test file mirrors it; proven on planted services laid out like the real ones."""

from __future__ import annotations

from pathlib import Path

from conftest import plant_tree
from fleet_standards.core import code_roots
from fleet_standards.health import SLICE_VERBS, check_slice_names, slice_name_problem

_SLICE = ("router.py", "schema.py", "command.py", "handler.py", "queries.py")


def _plant_service(root: Path, slices: list[str], tests: list[str]) -> Path:
    src = plant_tree(root, {f"demo/features/{s}/{f}": "" for s in slices for f in _SLICE})
    for test in tests:
        path = root / "tests" / "features" / test
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")
    return src


def test_real_code_has_no_violations() -> None:
    found = check_slice_names(code_roots())
    assert not found, "\n".join(map(str, found))


def test_check_catches_planted_violations(tmp_path: Path) -> None:
    src = _plant_service(
        tmp_path,
        [
            "session/login",  # no noun
            "avatar/batch_get_avatars",  # not a listed verb
            "post/Publish_Post",  # not snake_case
            "post/delete_post",  # well named, but its test is elsewhere
            "comment/add_comment",  # well named, tested under another name
        ],
        [
            "session/test_login.py",
            "avatar/test_batch_get_avatars.py",
            "post/test_Publish_Post.py",
            "test_delete_post.py",
            "comment/test_add.py",
        ],
    )
    found = {(v.path.name, v.message.split(" ")[0]) for v in check_slice_names([src])}
    assert found == {
        ("login", "slice"),
        ("batch_get_avatars", "slice"),
        ("Publish_Post", "slice"),
        ("delete_post", "no"),
        ("add_comment", "no"),
    }


def test_check_passes_planted_good_code(tmp_path: Path) -> None:
    src = _plant_service(
        tmp_path,
        ["session/open_session", "avatar/get_avatar_snapshots", "keys/publish_jwks"],
        ["session/test_open_session.py", "avatar/test_get_avatar_snapshots.py", "keys/test_publish_jwks.py"],
    )
    assert check_slice_names([src]) == []


def test_refusal_names_the_verb_list() -> None:
    problem = slice_name_problem("batch_get_avatars") or ""
    assert all(verb in problem for verb in SLICE_VERBS), problem
    assert slice_name_problem("get_avatar_snapshots") is None
