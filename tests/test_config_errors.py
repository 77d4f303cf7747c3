"""Every kind of bad stack file: one line per problem naming file, line and key path, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import write_stacks

from ecsdelivery.config import load_stack
from ecsdelivery.errors import ConfigError

HEAD = "import: [catalog/base.yaml]\n"  # line 1 of every case below

# (id, env.yaml content after HEAD, other files, expected "<file>:<line>: <key.path>: ", fragment of the message)
CASES = [
    ("malformed-yaml", "services: [1, 2\n", {}, "stacks/env.yaml:3: ", "malformed YAML"),
    ("tab-indent", "services:\n\tweb: {}\n", {}, "stacks/env.yaml:3: ", "malformed YAML"),
    ("not-a-mapping", None, {"env.yaml": "- a\n- b\n"}, "stacks/env.yaml:1: (top level): ", "mapping of keys"),
    ("custom-tag", "region: !env REGION\n", {}, "stacks/env.yaml:2: ", "malformed YAML"),
    ("duplicate-key", "region: us-east-1\nregion: us-west-2\n", {}, "stacks/env.yaml:3: region: ", "duplicate key"),
    ("unknown-top-key", "regoin: us-east-1\n", {}, "stacks/env.yaml:2: regoin: ", "did you mean 'region'"),
    (
        "unknown-nested-key",
        "services:\n  web:\n    containers:\n      - name: web\n        prot: 80\n",
        {},
        "stacks/env.yaml:6: services.web.containers[0].prot: ",
        "unknown key (did you mean 'port'?); allowed keys: name, image, port",
    ),
    (
        "wrong-type",
        "services:\n  web:\n    desired_count: lots\n",
        {},
        "stacks/env.yaml:4: services.web.desired_count: ",
        "valid integer",
    ),
    ("wrong-type-map", "services: [web]\n", {}, "stacks/env.yaml:2: services: ", "valid dictionary"),
    ("missing-key", None, {"env.yaml": "app: web\n"}, "stacks/env.yaml:1: namespace: ", "required key is missing"),
    ("missing-import", "import: [nope.yaml]\n", {}, None, None),  # replaced below (needs its own file)
    (
        "fargate-cpu",
        "services:\n  web:\n    cpu: 300\n",
        {},
        "stacks/env.yaml:4: services.web.cpu: ",
        "cpu 300 is not a Fargate size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384",
    ),
    (
        "fargate-memory",
        "services:\n  web:\n    cpu: 256\n    memory: 4096\n",
        {},
        "stacks/env.yaml:5: services.web.memory: ",
        "with cpu 256 use memory 512, 1024, 2048",
    ),
    (
        "fargate-memory-large",
        "services:\n  web:\n    cpu: 16384\n    memory: 16384\n",
        {},
        "stacks/env.yaml:5: services.web.memory: ",
        "use memory 32768-122880 in steps of 8192",
    ),
    (
        "duplicate-container",
        "services:\n  web:\n    containers:\n      - {name: web, port: 80}\n      - {name: web}\n",
        {},
        "stacks/env.yaml:6: services.web.containers[1].name: ",
        "duplicate container name 'web' (also containers[0])",
    ),
    (
        "port-too-big",
        "services:\n  web:\n    containers:\n      - name: web\n        port: 70000\n",
        {},
        "stacks/env.yaml:6: services.web.containers[0].port: ",
        "less than or equal to 65535",
    ),
    (
        "port-zero",
        "services:\n  web:\n    containers:\n      - name: web\n        port: 0\n",
        {},
        "stacks/env.yaml:6: services.web.containers[0].port: ",
        "greater than or equal to 1",
    ),
    (
        "bad-host",
        "services:\n  web:\n    routing:\n      host: Not_A_Host.example.com\n",
        {},
        "stacks/env.yaml:5: services.web.routing.host: ",
        "is not a DNS host name",
    ),
    (
        "host-label-too-long",
        "services:\n  web:\n    routing:\n      host: " + "a" * 64 + ".example.com\n",
        {},
        "stacks/env.yaml:5: services.web.routing.host: ",
        "is not a DNS host name",
    ),
    (
        "log-retention",
        "services:\n  web:\n    log_retention_days: 4\n",
        {},
        "stacks/env.yaml:4: services.web.log_retention_days: ",
        "legal values: 1, 3, 5, 7, 14, 30",
    ),
    (
        "literal",
        "platform:\n  mode: create\n  nat: some\n",
        {},
        "stacks/env.yaml:4: platform.nat: ",
        "'some' is not allowed; legal values: none, single, per_az",
    ),
    (
        "platform-mode",
        "platform:\n  mode: magic\n",
        {},
        "stacks/env.yaml:3: platform.mode: ",
        "'magic' is not a platform mode; legal values: create, stack, existing",
    ),
    (
        "platform-existing-missing",
        "platform:\n  mode: existing\n  vpc_id: vpc-0123456789abcdef0\n",
        {},
        "stacks/env.yaml:2: platform.cluster_name: ",
        "required key is missing",
    ),
    (
        "platform-stack-type",
        "platform:\n  mode: stack\n  stack: 5\n",
        {},
        "stacks/env.yaml:4: platform.stack: ",
        "'5' does not match the pattern",
    ),
    (
        "platform-key-of-other-mode",
        "platform:\n  mode: create\n  vpc_id: vpc-0123456789abcdef0\n",
        {},
        "stacks/env.yaml:4: platform.vpc_id: ",
        "unknown key",
    ),
    (
        "certificate-arn",
        "platform:\n  mode: create\n  certificate_arn: not-an-arn\n",
        {},
        "stacks/env.yaml:4: platform.certificate_arn: ",
        "does not match the pattern",
    ),
    (
        "unset-variable",
        "services:\n  web:\n    containers:\n      - name: web\n        image: ${NOT_SET_ANYWHERE}\n",
        {},
        "stacks/env.yaml:6: services.web.containers[0].image: ",
        "variable NOT_SET_ANYWHERE is not set and has no default",
    ),
    ("account-id", 'accounts: ["1234"]\n', {}, "stacks/env.yaml:2: accounts[0]: ", "not an AWS account id"),
    ("no-accounts", "accounts: []\n", {}, "stacks/env.yaml:2: accounts: ", "at least 1 item"),
    (
        "secret-two-sources",
        "services:\n  web:\n    containers:\n      - name: web\n        secrets:\n"
        "          DB: {ssm: /db, secrets_manager: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:x'}\n",
        {},
        "stacks/env.yaml:7: services.web.containers[0].secrets.DB: ",
        "exactly one of 'ssm' or 'secrets_manager'",
    ),
    (
        "env-var-name",
        "services:\n  web:\n    containers:\n      - name: web\n        environment: {bad-name: x}\n",
        {},
        "stacks/env.yaml:6: services.web.containers[0].environment.bad-name: ",
        "does not match the pattern",
    ),
    (
        "autoscaling-bounds",
        "services:\n  web:\n    autoscaling: {enabled: true, min: 5, max: 2}\n",
        {},
        "stacks/env.yaml:4: services.web.autoscaling.min: ",
        "min (5) must not exceed max (2)",
    ),
    (
        "health-check-timeout",
        "services:\n  web:\n    deployment:\n      health_check:\n        interval: 5\n        timeout: 5\n",
        {},
        "stacks/env.yaml:7: services.web.deployment.health_check.timeout: ",
        "less than interval",
    ),
    (
        "routing-container",
        "services:\n  web:\n    routing:\n      container: nope\n",
        {},
        "stacks/env.yaml:5: services.web.routing.container: ",
        "no container named 'nope'; legal values: web",
    ),
    (
        "priority-clash",
        "services:\n  api:\n    containers: [{name: api, port: 80}]\n    routing: {priority: 100}\n",
        {},
        "stacks/env.yaml:5: services.api.routing.priority: ",
        "also used by service 'web'",
    ),
    (
        "priority-in-preview-range",
        "services:\n  web:\n    routing: {priority: 10004}\n",
        {},
        "stacks/env.yaml:4: services.web.routing.priority: ",
        "is in the preview range; use a priority below preview.priority_base (10000)",
    ),
    ("reserved-key", "pr: 5\n", {}, "stacks/env.yaml:2: pr: ", "set by --pr"),
    (
        "service-name",
        "services:\n  Web_1:\n    containers: [{name: w}]\n",
        {},
        "stacks/env.yaml:3: services.Web_1: ",
        "does not match the pattern",
    ),
    ("tags-aws-prefix", "tags: {'aws:x': y}\n", {}, "stacks/env.yaml:2: tags.aws:x: ", "reserved by AWS"),
    (
        "preview-template",
        "preview:\n  host_template: 'pr-{number}.example.com'\n",
        {},
        "stacks/env.yaml:3: preview.host_template: ",
        "unknown placeholder {number}",
    ),
    (
        "error-in-imported-file",
        "import: [catalog/base.yaml, catalog/bad.yaml]\n",
        {"catalog/bad.yaml": "\nregion: mars\n"},
        "stacks/catalog/bad.yaml:2: region: ",
        "does not match the pattern",
    ),
]


def _case_files(body: str | None, others: dict[str, str]) -> dict[str, str]:
    files = dict(others)
    if body is not None:
        if body.startswith("import:"):
            files["env.yaml"] = body
        else:
            files["env.yaml"] = HEAD + body
    return files


@pytest.mark.parametrize(
    ("body", "others", "prefix", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES if case[3] is not None],
)
def test_error_names_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str | None, others: dict, prefix: str, fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    stacks = write_stacks(tmp_path, _case_files(body, others))
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    problems = info.value.problems
    assert any(p.startswith(prefix) and fragment in p for p in problems), problems
    for problem in problems:
        assert problem.startswith("stacks/"), problem
        assert "\n" not in problem and "Traceback" not in problem


def test_missing_import_names_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path, {"env.yaml": "import: [a.yaml]\n", "a.yaml": "x: 1\nimport:\n  - catalog/nope.yaml\n"}
    )
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    assert info.value.problems == [
        "stacks/a.yaml:3: import[0]: imported file catalog/nope.yaml not found "
        "(import chain: stacks/env.yaml -> stacks/a.yaml -> stacks/catalog/nope.yaml)"
    ]


def test_import_cycle_names_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {"env.yaml": "import: [a.yaml]\n", "a.yaml": "import: [b.yaml]\n", "b.yaml": "\nimport: [a.yaml]\n"},
    )
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    assert info.value.problems == [
        "stacks/b.yaml:2: import[0]: import cycle: stacks/env.yaml -> stacks/a.yaml -> stacks/b.yaml -> stacks/a.yaml"
    ]


def test_self_import_is_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [env.yaml]\n"})
    with pytest.raises(ConfigError, match=r"stacks/env.yaml:1: import\[0\]: import cycle"):
        load_stack("env", stacks_dir=stacks)


def test_bad_import_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"env.yaml": "import: {a: 1}\n"})
    with pytest.raises(ConfigError, match=r"stacks/env.yaml:1: import: must be a list of file names, not a mapping"):
        load_stack("env", stacks_dir=stacks)


def test_all_problems_are_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = "region: mars\nservices:\n  web:\n    log_retention_days: 4\n    architecture: arm\n"
    stacks = write_stacks(tmp_path, {"env.yaml": HEAD + body})
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    assert [p.split(": ")[0:2] for p in info.value.problems] == [
        ["stacks/env.yaml:2", "region"],
        ["stacks/env.yaml:5", "services.web.log_retention_days"],
        ["stacks/env.yaml:6", "services.web.architecture"],
    ]


def test_missing_nested_key_points_at_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"env.yaml": HEAD + "services:\n  api:\n    cpu: 256\n"})
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    assert info.value.problems == ["stacks/env.yaml:3: services.api.containers: required key is missing"]


def test_preview_must_not_create_a_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"preview.yaml": HEAD})
    with pytest.raises(
        ConfigError, match=r"stacks/catalog/base.yaml:8: platform.mode: previews never create a platform"
    ):
        load_stack("preview", stacks_dir=stacks, pr=1)


def test_alias_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    stacks = write_stacks(tmp_path, {"env.yaml": "\n".join(lines) + "\n"})
    with pytest.raises(ConfigError, match="too many aliases"):
        load_stack("env", stacks_dir=stacks)
