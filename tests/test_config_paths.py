"""Files and paths: imports stay inside the stacks directory; backend paths mean what they say."""

from __future__ import annotations

import os
import pathlib
from pathlib import Path

import pytest
from config_helpers import write_stacks
from test_driver_e2e import IMAGE, fake  # noqa: F401  (the fixture)

from ecsdelivery.cli import main
from ecsdelivery.config import load_stack
from ecsdelivery.driver import plan
from ecsdelivery.errors import ConfigError

SECRET = "forbidden: contents-of-a-foreign-file\n"


def _problems(stacks: Path, env: str = "dev") -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_stack(env, stacks_dir=stacks)
    return info.value.problems


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the stacks directory whose contents must never appear in an error."""
    path = tmp_path / "outside.yaml"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "symlinked-dir", "home"])
def test_imports_never_leave_the_stacks_directory(tmp_path: Path, outside: Path, how: str) -> None:
    stacks = write_stacks(tmp_path, {})
    name = {
        "absolute": str(outside),
        "dotdot": "../outside.yaml",
        "symlink": "catalog/link.yaml",
        "symlinked-dir": "linked/outside.yaml",
        "home": "~/outside.yaml",
    }[how]
    (stacks / "catalog" / "link.yaml").symlink_to(outside)
    (stacks / "linked").symlink_to(tmp_path, target_is_directory=True)
    (stacks / "dev.yaml").write_text(f"import: [catalog/base.yaml, {name!r}]\n")
    problems = _problems(stacks)
    assert len(problems) == 1, problems
    assert "dev.yaml:1: import[1]: imported file" in problems[0]
    assert "contents-of-a-foreign-file" not in problems[0]


def test_a_stack_file_that_is_a_symlink_out_is_refused(tmp_path: Path, outside: Path) -> None:
    stacks = write_stacks(tmp_path, {})
    (stacks / "dev.yaml").symlink_to(outside)
    problems = _problems(stacks)
    assert len(problems) == 1 and "dev.yaml:1: stack file dev.yaml is outside" in problems[0], problems
    assert "contents-of-a-foreign-file" not in problems[0]


def test_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    stacks = write_stacks(tmp_path, {"dev.yaml": "import: [catalog/base.yaml, catalog/loop.yaml]\n"})
    (stacks / "catalog" / "loop.yaml").symlink_to(stacks / "catalog" / "loop2.yaml")
    (stacks / "catalog" / "loop2.yaml").symlink_to(stacks / "catalog" / "loop.yaml")
    problems = _problems(stacks)
    assert len(problems) == 1 and "import[1]: imported file catalog/loop.yaml cannot be read" in problems[0], problems


def test_an_unreadable_directory_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stacks = write_stacks(tmp_path, {"dev.yaml": "import: [catalog/base.yaml, private/x.yaml]\n"})
    (stacks / "private").mkdir()
    (stacks / "private" / "x.yaml").write_text("app: web\n")
    # Tests may run as root, for whom permissions do not apply: fail like an unreadable directory does.
    real = pathlib.Path.resolve

    def resolve(self: Path, strict: bool = False) -> Path:
        if "private" in self.parts:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, strict=strict)

    monkeypatch.setattr(pathlib.Path, "resolve", resolve)
    problems = _problems(stacks)
    assert len(problems) == 1 and "private/x.yaml cannot be read: Permission denied" in problems[0], problems


def test_imports_inside_through_symlinks_still_work(tmp_path: Path) -> None:
    stacks = write_stacks(tmp_path, {"dev.yaml": "import: [catalog/alias.yaml]\n"})
    (stacks / "catalog" / "alias.yaml").symlink_to(stacks / "catalog" / "base.yaml")
    assert load_stack("dev", stacks_dir=stacks).app == "web"


# --- backend paths ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file://~/state", "file:///home/u/state"),
        ("file://~", "file:///home/u"),
        ("file://state", "file:///project/state"),
        ("file:///abs/state", "file:///abs/state"),
        ("file://state?no_legacy=1", "file:///project/state?no_legacy=1"),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
    ],
)
def test_file_backends_are_absolute(url: str, expected: str) -> None:
    backend = plan.choose_backend(
        cli=url, environ={"HOME": "/home/u"}, stack_file_url=None, stack_file_secrets=None, project_dir=Path("/project")
    )
    assert backend.url == expected


def test_backend_tilde_is_the_home_directory(
    fake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert main(["up", "dev", "--image", IMAGE, "--backend", "file://~/state"]) == 0
    assert (home / "state").is_dir()
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (
            ["--backend", "file:///proc/ecsdelivery-state"],
            2,
            "cannot use /proc/ecsdelivery-state as the state directory",
        ),
        (["--backend", "file://stacks/dev.yaml/state"], 2, "as the state directory"),
    ],
)
def test_a_backend_directory_that_cannot_be_made_is_one_line(
    fake,  # noqa: F811
    argv: list[str],
    code: int,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["up", "dev", "--image", IMAGE, *argv]) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert fake.stacks == {}


def test_a_file_named_ecsdelivery_is_one_line(
    fake,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / ".ecsdelivery").write_text("not a directory\n")
    assert main(["up", "dev", "--image", IMAGE]) == 4
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "a file named .ecsdelivery?" in err, err
    assert fake.stacks == {}
    assert os.path.isfile(tmp_path / ".ecsdelivery")
