"""The README's user program (examples/user_program) runs under the mocks, so the documented usage cannot rot."""

from __future__ import annotations

import runpy
from pathlib import Path

import yaml

from ecsdelivery.synth.mocks import run_program

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "user_program"


def _run(config: dict[str, str] | None = None):
    return run_program(
        lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
        project="acme-web",
        stack="dev",
        config=config,
    )


def test_example_program_wires_platform_repository_service_and_preview() -> None:
    recording = _run()
    roots = {(r["type"], r["name"]) for r in recording.children_of(None)}
    assert roots == {
        ("ecsdelivery:index:Platform", "platform"),
        ("ecsdelivery:index:EcrRepository", "images"),
        ("ecsdelivery:index:FargateTaskDefinition", "web-task"),
        ("ecsdelivery:index:FargateService", "web"),
        ("ecsdelivery:index:PreviewEnvironment", "web-pr-7"),
    }
    # one VPC, one load balancer, one cluster: the preview shares them
    assert len(recording.of_type("awsx:ec2:Vpc")) == 1
    assert len(recording.of_type("aws:lb/loadBalancer:LoadBalancer")) == 1
    assert len(recording.of_type("aws:ecs/cluster:Cluster")) == 1
    assert len(recording.of_type("aws:ecs/service:Service")) == 2
    assert recording.outputs["url"].startswith("http://acme-dev-web-platform")
    assert recording.outputs["previewUrl"] == "http://pr-7.preview.example.com"
    assert recording.outputs["repositoryUrl"].endswith("/acme-dev-web")


def test_example_reads_its_image_from_config() -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-dev-web@sha256:" + "c" * 64
    recording = _run({"acme-web:image": image})
    assert f'"image": "{image}"' in recording.named("web-task-task")["inputs"]["containerDefinitions"]


def test_example_project_file() -> None:
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["name"] == "acme-web"


def test_readme_shows_the_example_program() -> None:
    readme = (EXAMPLE.parent.parent / "README.md").read_text()
    section = readme.split("## Components", 1)[1]
    shown = section.split("```python\n", 1)[1].split("```", 1)[0]
    source = (EXAMPLE / "__main__.py").read_text()
    code = source.split('"""', 2)[2].lstrip("\n")  # the example without its module docstring
    assert shown == code
