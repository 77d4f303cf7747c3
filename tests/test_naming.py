"""Names and tags: joined parts, AWS limits with a deterministic hash, no collisions past the cut."""

from __future__ import annotations

import pytest

from ecsdelivery.naming import HASH_LENGTH, LIMITS, MANAGED_BY, Label, shorten


def test_id_joins_parts() -> None:
    label = Label("acme", "dev", "web")
    assert label.id == "acme-dev-web"
    assert label.with_attributes("pr-42").id == "acme-dev-web-pr-42"
    assert label.with_attributes("pr-42").with_attributes("exec").id == "acme-dev-web-pr-42-exec"


def test_parts_are_normalised_and_empty_parts_dropped() -> None:
    assert Label("Acme Corp", "", "Web_App").id == "acme-corp-web-app"


@pytest.mark.parametrize("kind", sorted(LIMITS))
def test_every_kind_respects_its_limit(kind: str) -> None:
    label = Label("a-very-long-namespace", "staging", "an-application-with-a-long-name", ("pr-123456", "x" * 600))
    name = label.name_for(kind)
    assert len(name) <= LIMITS[kind]
    assert name == label.name_for(kind)  # deterministic


@pytest.mark.parametrize(("kind", "limit"), [("target_group", 32), ("load_balancer", 32), ("iam_role", 64)])
def test_known_limits(kind: str, limit: int) -> None:
    assert LIMITS[kind] == limit


def test_short_names_are_untouched() -> None:
    assert Label("acme", "dev", "web").name_for("target_group") == "acme-dev-web"


def test_cut_names_end_in_a_hash() -> None:
    name = Label("acme", "preview", "checkout-service", ("pr-1234",)).name_for("target_group")
    assert len(name) == 32
    head, digest = name.rsplit("-", 1)
    assert len(digest) == HASH_LENGTH
    assert "acme-preview-checkout-service-pr-1234".startswith(head)


def test_names_that_differ_only_past_the_cut_stay_different() -> None:
    names = {
        Label("acme", "preview", "checkout-service", (f"pr-{n}",)).name_for("target_group") for n in range(1000, 1100)
    }
    assert len(names) == 100
    assert all(len(name) <= 32 for name in names)


def test_shorten_exactly_at_the_limit() -> None:
    assert shorten("a" * 32, 32) == "a" * 32
    assert len(shorten("a" * 33, 32)) == 32
    assert shorten("a" * 33, 32) != shorten("a" * 34, 32)


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: autoscaling_policy"):
        Label("acme", "dev", "web").name_for("bucket")


def test_tags() -> None:
    tags = Label("acme", "preview", "web", ("pr-42",), {"Team": "core"}).tags
    assert tags == {
        "Namespace": "acme",
        "Environment": "preview",
        "App": "web",
        "Name": "acme-preview-web-pr-42",
        "ManagedBy": MANAGED_BY,
        "PullRequest": "42",
        "Team": "core",
    }
    assert "PullRequest" not in Label("acme", "dev", "web").tags


def test_pr_number() -> None:
    assert Label("acme", "preview", "web", ("exec", "pr-7")).pr_number == 7
    assert Label("acme", "preview", "web", ("pr-x",)).pr_number is None
