"""Runner images, built offline: a Debian rootfs from debootstrap, imported into Docker.

The tag is a hash of everything that goes into the image, so a changed runner or package list
builds a new image and results record exactly which one graded them.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from grader.languages import LANGUAGES, LanguageProfile

IMAGE_FILES = Path(__file__).parent / "sandbox" / "image"
PAYLOAD = ("runner.py", "grader_pytest_report.py")
SUITE = "bookworm"
MIRROR = os.environ.get("GRADER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BUILD_DIR = Path(os.environ.get("GRADER_IMAGE_BUILD_DIR", "var/images"))


class ImageMissing(RuntimeError):
    """The runner image for a language is not in the Docker engine."""


def image_tag(profile: LanguageProfile) -> str:
    """`repository:tag` of the image for the current runner and package list."""
    digest = hashlib.sha256()
    digest.update(f"{SUITE}\n{' '.join(sorted(profile.packages))}\n".encode())
    for name in PAYLOAD:
        digest.update((IMAGE_FILES / name).read_bytes())
    return f"{profile.image}:{digest.hexdigest()[:16]}"


def build_command(language: str) -> str:
    """The exact command that builds a language's image."""
    return f"sudo .venv/bin/grader images build {language}   # or: make images"


def ensure_image(client: docker.DockerClient, profile: LanguageProfile) -> str:
    """The image id (sha256 digest) for `profile`, or ImageMissing saying how to build it."""
    tag = image_tag(profile)
    try:
        return str(client.images.get(tag).id)
    except ImageNotFound:
        raise ImageMissing(
            f"runner image {tag} is not built; build it with: {build_command(profile.name)}"
        ) from None


def build_image(
    client: docker.DockerClient, profile: LanguageProfile,
    progress: Callable[[str], None] = print, force: bool = False,
) -> str:
    """Build (or find) the image for `profile` from a debootstrap rootfs; return its id."""
    tag = image_tag(profile)
    if not force:
        try:
            return str(client.images.get(tag).id)
        except ImageNotFound:
            pass
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise ImageMissing(
            "building runner images needs root and debootstrap "
            f"(apt-get install debootstrap); run: {build_command(profile.name)}"
        )
    rootfs = BUILD_DIR / f"{profile.name}-rootfs"
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    cache = (BUILD_DIR / "debs").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    progress(f"[{profile.name}] debootstrap {SUITE} with {', '.join(profile.packages)} (~1 min)")
    command = [
        "debootstrap", "--variant=minbase", f"--include={','.join(profile.packages)}",
        f"--cache-dir={cache}", SUITE, str(rootfs), MIRROR,
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(("I: Retrieving", "I: Validating")):
                continue
            progress(f"[{profile.name}]   {line.rstrip()}")
    if proc.returncode != 0:
        raise RuntimeError(f"debootstrap failed with exit code {proc.returncode}")
    _install_payload(rootfs)
    progress(f"[{profile.name}] importing rootfs into Docker as {tag}")
    image_id = _import(client, rootfs, tag)
    shutil.rmtree(rootfs)
    progress(f"[{profile.name}] built {tag} ({image_id[:19]})")
    return image_id


def _install_payload(rootfs: Path) -> None:
    target = rootfs / "opt" / "grader"
    target.mkdir(parents=True, exist_ok=True)
    for name in PAYLOAD:
        shutil.copyfile(IMAGE_FILES / name, target / name)
        (target / name).chmod(0o644)
    # Trim what a sandbox never needs: package caches and docs.
    for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man", "usr/share/info"):
        shutil.rmtree(rootfs / junk, ignore_errors=True)


def _import(client: docker.DockerClient, rootfs: Path, tag: str) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for entry in sorted(os.listdir(rootfs)):
            archive.add(rootfs / entry, arcname=entry)
    repository, _, version = tag.partition(":")
    response = client.api.import_image_from_data(
        buffer.getvalue(), repository=repository, tag=version
    )
    del response
    return str(client.images.get(tag).id)


def build_all(languages: list[str] | None = None, force: bool = False) -> dict[str, str]:
    """Build the images of `languages` (all by default), printing progress to stderr."""
    client = docker.from_env()

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    return {
        name: build_image(client, LANGUAGES[name], progress, force)
        for name in (languages or sorted(LANGUAGES))
    }
