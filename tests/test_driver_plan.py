"""Tables for the driver's pure decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecsdelivery.driver import plan
from ecsdelivery.errors import DeploymentError, MissingRequirementError, UsageError

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("env", "pr", "stack"),
    [("dev", None, "dev"), ("staging", None, "staging"), ("prod", None, "prod"), ("shared", None, "shared"),
     ("preview", 7, "pr-7"), ("preview", 1234, "pr-1234")],
)  # fmt: skip
def test_stack_names(env: str, pr: int | None, stack: str) -> None:
    target = plan.resolve_target(env, pr, {})
    assert (target.stack, target.pr) == (stack, pr)
    assert plan.parse_stack_name(stack) == (env, pr)


@pytest.mark.parametrize(
    ("name", "parsed"),
    [("org/proj/pr-12", ("preview", 12)), ("pr-0", ("pr-0", None)), ("pr-x", ("pr-x", None)), ("dev", ("dev", None))],
)
def test_parse_stack_name(name: str, parsed: tuple[str, int | None]) -> None:
    assert plan.parse_stack_name(name) == parsed


@pytest.mark.parametrize(
    ("env", "pr", "message"),
    [("qa", None, "unknown environment 'qa'"), ("preview", None, "needs a pull request number"),
     ("dev", 3, "--pr is for previews only"), ("preview", 0, "positive")],
)  # fmt: skip
def test_usage_errors_exit_2(env: str, pr: int | None, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        plan.resolve_target(env, pr, {})
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("payload", "expected"),
    [({"pull_request": {"number": 42}, "number": 42}, 42), ({"number": 9}, 9), ({"ref": "refs/heads/main"}, None),
     ({"number": True}, None), ([1, 2], None)],
)  # fmt: skip
def test_pr_from_event_payload(tmp_path: Path, payload: object, expected: int | None) -> None:
    event = tmp_path / "event.json"
    event.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    assert plan.pr_from_event({"GITHUB_EVENT_PATH": str(event)}) == expected


def test_preview_takes_pr_from_event_and_flag_wins(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    environ = {"GITHUB_EVENT_PATH": str(event)}
    assert plan.resolve_target("preview", None, environ).stack == "pr-42"
    assert plan.resolve_target("preview", 5, environ).stack == "pr-5"
    assert plan.pr_from_event({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, None), ("", set()), (" ", set()), ("1,2, 3", {1, 2, 3}), ("#4", {4}), (" #4 , 5", {4, 5})],
)
def test_parse_open_prs(text: str | None, expected: set[int] | None) -> None:
    assert plan.parse_open_prs(text) == expected


@pytest.mark.parametrize("text", ["1,two", "-3", "0", "#", ",", "#4,", "1,,2", "4 5", "\u0664"])
def test_parse_open_prs_rejects_garbage(text: str) -> None:
    with pytest.raises(UsageError):
        plan.parse_open_prs(text)


PREVIEWS = [
    plan.PreviewStack("pr-1", 1, expires_at=NOW - timedelta(hours=1)),
    plan.PreviewStack("pr-2", 2, expires_at=NOW + timedelta(hours=1)),
    plan.PreviewStack("pr-3", 3, last_update=NOW - timedelta(hours=80)),
    plan.PreviewStack("pr-4", 4, last_update=NOW - timedelta(hours=1)),
    plan.PreviewStack("pr-5", 5),
]


@pytest.mark.parametrize(
    ("open_prs", "expired", "removed"),
    [
        ({1, 2, 3, 4, 5}, False, []),
        ({2, 4}, False, [1, 3, 5]),
        (set(), False, [1, 2, 3, 4, 5]),
        (None, True, [1, 3]),
        ({1, 2, 3, 4}, True, [1, 3, 5]),
    ],
)
def test_previews_to_remove(open_prs: set[int] | None, expired: bool, removed: list[int]) -> None:
    result = plan.previews_to_remove(PREVIEWS, open_prs=open_prs, expired=expired, now=NOW, ttl_hours=72)
    assert [r.pr for r in result] == removed
    assert all(r.name == f"pr-{r.pr}" and r.reason for r in result)


def test_previews_to_remove_needs_a_criterion() -> None:
    with pytest.raises(UsageError, match="--open-prs"):
        plan.previews_to_remove(PREVIEWS, open_prs=None, expired=False, now=NOW)


def test_expiry_and_time_format() -> None:
    assert plan.expiry(NOW, 72) == NOW + timedelta(hours=72)
    assert plan.expiry(NOW, None) is None
    assert plan.expiry(NOW, 0) is None
    assert plan.format_time(NOW) == "2024-05-01T12:00:00Z"
    assert plan.parse_time("2024-05-01T12:00:00Z") == NOW
    assert plan.parse_time("2024-05-01T12:00:00") == NOW
    assert plan.parse_time("soon") is None


@pytest.mark.parametrize(
    ("src", "dst", "force", "error"),
    [("dev", "staging", False, None), ("staging", "prod", False, None), ("dev", "prod", False, "skips staging"),
     ("dev", "prod", True, None), ("prod", "staging", False, "use rollback"), ("prod", "dev", True, None),
     ("dev", "dev", True, "itself"), ("preview", "dev", True, "cannot promote from preview"),
     ("dev", "qa", False, "cannot promote to qa")],
)  # fmt: skip
def test_check_promotion(src: str, dst: str, force: bool, error: str | None) -> None:
    if error is None:
        plan.check_promotion(src, dst, force=force)
    else:
        with pytest.raises(UsageError, match=error):
            plan.check_promotion(src, dst, force=force)


def test_promotion_order_comes_from_config() -> None:
    plan.check_promotion("dev", "prod", ["dev", "prod"])
    with pytest.raises(UsageError, match="skips qa"):
        plan.check_promotion("dev", "prod", ["dev", "qa", "prod"])


@pytest.mark.parametrize(
    ("state", "result"),
    [
        (plan.DeployedState(f"{REPO}@{D1}", "succeeded"), f"{REPO}@{D1}"),
        (plan.DeployedState(f"{REPO}:v1@{D1}", "succeeded"), f"{REPO}@{D1}"),
        (plan.DeployedState(f"{REPO}@{D1}", None), f"{REPO}@{D1}"),
        (plan.DeployedState(f"{REPO}@{D1}", "failed"), DeploymentError),
        (plan.DeployedState(f"{REPO}@{D1}", "in-progress"), DeploymentError),
        (plan.DeployedState(f"{REPO}:latest", "succeeded"), MissingRequirementError),
        (plan.DeployedState(None, "succeeded"), MissingRequirementError),
    ],
)
def test_promotion_image(state: plan.DeployedState, result: object) -> None:
    if isinstance(result, str):
        assert plan.promotion_image("dev", state) == result
    else:
        with pytest.raises(result):  # type: ignore[call-overload]
            plan.promotion_image("dev", state)


@pytest.mark.parametrize(
    ("ref", "result"),
    [("sha-0123abc", f"{REPO}:sha-0123abc"), ("v1.4.0", f"{REPO}:v1.4.0"), (D2, f"{REPO}@{D2}"),
     (f" {D2} ", f"{REPO}@{D2}"), ("other/app:sha-1", "other/app:sha-1"), (f"other/app@{D2}", f"other/app@{D2}"),
     ("localhost:5000/app:v1", "localhost:5000/app:v1"), ("other/app", "names no tag or digest"),
     ("localhost:5000/app", "names no tag or digest"), ("sha256:abc", "not a tag"), ("", "not a tag")],
)  # fmt: skip
def test_expected_reference(ref: str, result: str) -> None:
    if result.startswith(("names", "not")):
        with pytest.raises(UsageError, match=result) as info:
            plan.expected_reference(ref, REPO)
        assert info.value.exit_code == 2
    else:
        assert plan.expected_reference(ref, REPO) == result


@pytest.mark.parametrize(
    ("running", "expected", "allowed"),
    [(f"{REPO}@{D1}", f"{REPO}@{D1}", True), (f"{REPO}@{D1}", f"other/app@{D1}", True),
     (f"{REPO}@{D1}", f"{REPO}@{D2}", False), (f"{REPO}@{D2}", f"{REPO}@{D1}", False)],
)  # fmt: skip
def test_check_expected_image(running: str, expected: str, allowed: bool) -> None:
    if allowed:
        plan.check_expected_image("dev", "staging", running, expected, "sha-abc")
        return
    with pytest.raises(DeploymentError) as info:
        plan.check_expected_image("dev", "staging", running, expected, "sha-abc")
    message = str(info.value)
    assert info.value.exit_code == 1 and len(message.splitlines()) == 1
    have, want = plan.digest_of(running), plan.digest_of(expected)
    assert message.startswith(f"dev runs {have}, not {want} (sha-abc)")
    assert "wait for dev's deploy of sha-abc" in message
    assert f"`up staging --image {plan.repository_of(expected)}@{want}`" in message


def test_check_expected_image_needs_a_digest() -> None:
    with pytest.raises(UsageError, match="did not resolve"):
        plan.check_expected_image("dev", "staging", f"{REPO}@{D1}", f"{REPO}:v1", "v1")


@pytest.mark.parametrize(
    ("image", "repository", "digest"),
    [(f"{REPO}@{D1}", REPO, D1), (f"{REPO}:tag", REPO, None), ("localhost:5000/app:v1", "localhost:5000/app", None),
     ("app", "app", None)],
)  # fmt: skip
def test_repository_and_digest(image: str, repository: str, digest: str | None) -> None:
    assert plan.repository_of(image) == repository
    assert plan.digest_of(image) == digest


def test_history() -> None:
    assert plan.push_history([], D1) == [D1]
    assert plan.push_history([D1, D2], D3) == [D3, D1, D2]
    assert plan.push_history([D3, D1, D2], D1) == [D1, D3, D2]
    assert plan.push_history([D1, D2, D3], "sha256:" + "4" * 64) == ["sha256:" + "4" * 64, D1, D2]
    assert len(",".join(plan.push_history([D1, D2], D3))) <= 256
    assert plan.parse_history(f"{D1},junk, {D2}") == [D1, D2]
    assert plan.parse_history(None) == []


@pytest.mark.parametrize(
    ("current", "history", "to", "expected"),
    [
        (f"{REPO}@{D2}", [D2, D1], None, plan.RollbackTarget(image=f"{REPO}@{D1}")),
        (f"{REPO}@{D2}", [f"{REPO}@{D2}", f"other/repo@{D1}"], None, plan.RollbackTarget(image=f"other/repo@{D1}")),
        (f"{REPO}@{D2}", [D1], None, plan.RollbackTarget(image=f"{REPO}@{D1}")),
        (f"{REPO}@{D2}", [D2], None, MissingRequirementError),
        (None, [D1], None, MissingRequirementError),
        (f"{REPO}@{D2}", [], D3, plan.RollbackTarget(image=f"{REPO}@{D3}")),
        (f"{REPO}@{D2}", [], f"x/y@{D3}", plan.RollbackTarget(image=f"x/y@{D3}")),
        (f"{REPO}@{D2}", [], "v1.2.0", plan.RollbackTarget(repository=REPO, tag="v1.2.0")),
        (None, [], f"{REPO}:v1.2.0", plan.RollbackTarget(repository=REPO, tag="v1.2.0")),
        (None, [], "v1.2.0", MissingRequirementError),
        (None, [], "x/y@sha256:abc", UsageError),
    ],
)
def test_rollback_target(current: str | None, history: list[str], to: str | None, expected: object) -> None:
    if isinstance(expected, plan.RollbackTarget):
        assert plan.rollback_target("dev", current, history, to) == expected
    else:
        with pytest.raises(expected):  # type: ignore[call-overload]
            plan.rollback_target("dev", current, history, to)


@pytest.mark.parametrize(
    ("protected", "yes", "interactive", "result"),
    [(False, False, False, False), (True, True, False, False), (True, False, True, True),
     (True, False, False, UsageError)],
)  # fmt: skip
def test_confirm_needed(protected: bool, yes: bool, interactive: bool, result: object) -> None:
    if isinstance(result, bool):
        assert plan.confirm_needed("prod", protected=protected, yes=yes, interactive=interactive) is result
    else:
        with pytest.raises(UsageError, match="prod is protected"):
            plan.confirm_needed("prod", protected=protected, yes=yes, interactive=interactive)


@pytest.mark.parametrize(
    ("caller", "allowed", "ok"),
    [("111111111111", [], True), (None, [], True), ("111111111111", ["111111111111"], True),
     ("222222222222", ["111111111111"], False), (None, ["111111111111"], False)],
)  # fmt: skip
def test_check_account(caller: str | None, allowed: list[str], ok: bool) -> None:
    if ok:
        plan.check_account("prod", caller, allowed)
    else:
        with pytest.raises(MissingRequirementError) as info:
            plan.check_account("prod", caller, allowed)
        assert info.value.exit_code == 4


@pytest.mark.parametrize(
    ("cli", "environ", "file_url", "local", "url", "secrets"),
    [
        (None, {}, None, False, "file:///p/.ecsdelivery/state", "passphrase"),
        (None, {}, "s3://b/x?region=eu-west-1", False, "s3://b/x?region=eu-west-1", "awskms://alias/k"),
        (None, {"PULUMI_BACKEND_URL": "https://api.pulumi.com"}, "s3://b", False, "https://api.pulumi.com", "awskms://alias/k"),
        ("file:///tmp/s", {"PULUMI_BACKEND_URL": "s3://b"}, "s3://c", False, "file:///tmp/s", "passphrase"),
        (None, {"PULUMI_BACKEND_URL": "s3://b"}, "s3://c", True, "file:///p/.ecsdelivery/state", "passphrase"),
    ],
)  # fmt: skip
def test_choose_backend(
    cli: str | None, environ: dict[str, str], file_url: str | None, local: bool, url: str, secrets: str
) -> None:
    backend = plan.choose_backend(
        cli=cli,
        environ=environ,
        stack_file_url=file_url,
        stack_file_secrets="awskms://alias/k" if not url.startswith("file") else None,
        project_dir=Path("/p"),
        local=local,
    )
    assert (backend.url, backend.secrets_provider) == (url, secrets)
    assert backend.is_default == url.startswith("file:///p/")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("file:///var/state", True),
        ("file://~", True),
        ("s3://bucket/prefix?region=eu-west-1", True),
        ("gs://bucket", True),
        ("azblob://container", True),
        ("https://api.pulumi.com", True),
        ("http://127.0.0.1:8080", True),
        ("s3://", False),
        ("file://", False),
        ("::garbage::", False),
        ("bucket-name", False),
        ("ftp://host/state", False),
    ],
)
def test_check_backend_url(url: str, ok: bool) -> None:
    if ok:
        assert plan.check_backend_url(url, "--backend") == url
    else:
        with pytest.raises(UsageError, match=r"^--backend .* is not a Pulumi backend URL; use file://PATH"):
            plan.check_backend_url(url, "--backend")


def test_a_bad_backend_url_names_where_it_came_from() -> None:
    with pytest.raises(UsageError, match=r"^PULUMI_BACKEND_URL 'bucket' is not"):
        plan.choose_backend(
            cli=None,
            environ={"PULUMI_BACKEND_URL": "bucket"},
            stack_file_url=None,
            stack_file_secrets=None,
            project_dir=Path("/p"),
        )
