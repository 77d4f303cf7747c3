"""A team's own Pulumi program: a platform, an ECR repository, a service and a pull-request preview.

Run it with `pulumi up` from this directory (Pulumi config `image` sets the image to deploy).
"""

import pulumi

import ecsdelivery as ecs

config = pulumi.Config()
image = config.get("image") or "public.ecr.aws/nginx/nginx:1.27"
label = ecs.Label(namespace="acme", environment=pulumi.get_stack(), name="web")

platform = ecs.Platform("platform", ecs.PlatformArgs(label=label.with_attributes("platform")))
repo = ecs.EcrRepository("images", ecs.EcrRepositoryArgs(label=label))

task = ecs.FargateTaskDefinition(
    "web-task",
    ecs.FargateTaskDefinitionArgs(
        label=label,
        containers=[ecs.ContainerArgs(name="web", image=image, port=8080)],
        repository_arns=[repo.repository_arn],
    ),
)
web = ecs.FargateService(
    "web",
    ecs.FargateServiceArgs(label=label, platform=platform.ref(), task_definition=task, path_patterns=["/*"]),
)
preview = ecs.PreviewEnvironment(
    "web-pr-7",
    ecs.PreviewEnvironmentArgs(
        label=label,
        pr_number=7,
        platform=platform.ref(),
        containers=[ecs.ContainerArgs(name="web", image=image, port=8080)],
        host="pr-7.preview.example.com",
        listener_rule_priority=ecs.preview_priority(7),
        expires_at="2030-01-01T00:00:00Z",
    ),
)

pulumi.export("url", web.url)
pulumi.export("previewUrl", preview.url)
pulumi.export("repositoryUrl", repo.repository_url)
