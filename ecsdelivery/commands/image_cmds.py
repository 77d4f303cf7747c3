"""`image resolve` and `image tag`: tag-to-digest lookups and manifest-copy retags through the ECR API."""

from __future__ import annotations

import argparse
import sys

from ecsdelivery.errors import UsageError


def image(args: argparse.Namespace) -> int:
    """Run `image resolve REPO TAG` or `image tag REPO DIGEST|TAG NEW_TAG`; prints the digest on stdout."""
    from ecsdelivery.images import check_tag, ecr_client, image_id, parse_image_ref, resolve_digest, tag_image

    ref = parse_image_ref(args.repo)
    if ref.tag or ref.digest:
        raise UsageError(f"REPO must be a repository name or URL without tag or digest, got {args.repo!r}")
    # Bad arguments are usage errors (exit 2) before any AWS setting or credential is looked at.
    if args.image_command == "resolve":
        image_id(args.tag)
    else:
        image_id(args.source)
        check_tag(args.new_tag)
    client = ecr_client(region=args.region or ref.region, endpoint=args.endpoint)
    if args.image_command == "resolve":
        print(resolve_digest(client, ref.repository_url, args.tag))
        return 0
    digest = tag_image(client, ref.repository_url, args.source, args.new_tag)
    print(f"{ref.repository_url}:{args.new_tag} -> {digest}", file=sys.stderr)
    print(digest)
    return 0
