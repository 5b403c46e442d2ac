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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from grader.languages import JUNIT_ARCHIVE, JUNIT_JAR, LANGUAGES, LanguageProfile, jvm_flags

IMAGE_FILES = Path(__file__).parent / "sandbox" / "image"
PAYLOAD = ("runner.py", "forkserver.py", "warm.py", "scratch.py", "spawn.py", "spawn.c",
           "grader_pytest_report.py", "WarmupTest.java")
# Images with a compiler build the runner's spawn helper (spawn.c); the others do without it.
SPAWN_BUILD = ("gcc -O2 -static -nostdlib -ffreestanding -fno-stack-protector "
               "-o /opt/grader/spawn /opt/grader/spawn.c")
SUITE = "bookworm"
MIRROR = os.environ.get("GRADER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BUILD_DIR = Path(os.environ.get("GRADER_IMAGE_BUILD_DIR", "var/images"))
PARALLEL_BUILDS = 3


class ImageMissing(RuntimeError):
    """The runner image for a language is not in the Docker engine."""


def base_tag(profile: LanguageProfile) -> str:
    """`repository:tag` of the Debian rootfs image: changes only with the package list."""
    digest = hashlib.sha256(f"{SUITE}\n{' '.join(sorted(profile.packages))}\n".encode())
    return f"{profile.image}-base:{digest.hexdigest()[:16]}"


def image_tag(profile: LanguageProfile) -> str:
    """`repository:tag` of the runner image: the base plus the runner files."""
    digest = hashlib.sha256(base_tag(profile).encode())
    digest.update(_build_steps(profile).encode())
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
    """Build (or find) the runner image for `profile`; return its id."""
    tag = image_tag(profile)
    if not force:
        try:
            return str(client.images.get(tag).id)
        except ImageNotFound:
            pass
    base = _base_image(client, profile, progress, force)
    progress(f"[{profile.name}] adding the runner to {base_tag(profile)} as {tag}")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        dockerfile = (f"FROM {base}\nCOPY {' '.join(PAYLOAD)} /opt/grader/\n"
                      f"{_build_steps(profile)}").encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        archive.addfile(info, io.BytesIO(dockerfile))
        for name in PAYLOAD:
            archive.add(IMAGE_FILES / name, arcname=name)
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True,
                                   pull=False, network_mode="none")
    progress(f"[{profile.name}] built {tag} ({str(image.id)[:19]})")
    return str(image.id)


def _build_steps(profile: LanguageProfile) -> str:
    steps = f"RUN {SPAWN_BUILD}\n" if profile.spawn_helper else ""
    if profile.unittest == "junit":
        steps += f"RUN {junit_archive_build()}\n"
    return steps


def junit_archive_build() -> str:
    """The shell command that archives the classes a JUnit run loads (WarmupTest.java)."""
    flags = " ".join(jvm_flags(256))
    # The warm-up has a failing test on purpose, so the launcher's exit status is not ours.
    return (f"mkdir /tmp/cds && cd /tmp/cds && cp /opt/grader/WarmupTest.java . "
            f"&& javac -cp .:{JUNIT_JAR} -d . WarmupTest.java "
            f"&& (java {flags} -XX:ArchiveClassesAtExit={JUNIT_ARCHIVE} -jar {JUNIT_JAR} "
            "--class-path=. --select-class=WarmupTest --disable-banner --details=none "
            f"--reports-dir=. > /dev/null || true) && test -s {JUNIT_ARCHIVE} "
            "&& cd / && rm -rf /tmp/cds")


def _base_image(client: docker.DockerClient, profile: LanguageProfile,
                progress: Callable[[str], None], force: bool) -> str:
    tag = base_tag(profile)
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
    # A cache per language: debootstrap writes a download straight to its cache name, so two
    # builds at once (build_all) must not share one.
    cache = (BUILD_DIR / f"debs-{profile.name}").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    progress(f"[{profile.name}] debootstrap {SUITE} with {', '.join(profile.packages)} "
             "(a minute or two)")
    command = [
        "debootstrap", "--variant=minbase", f"--include={','.join(profile.packages)}",
        f"--cache-dir={cache}", SUITE, str(rootfs), MIRROR,
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(("I: Retrieving", "I: Validating", "I: Extracting",
                                "I: Unpacking", "I: Configuring")):
                continue
            progress(f"[{profile.name}]   {line.rstrip()}")
    if proc.returncode != 0:
        raise RuntimeError(f"debootstrap failed with exit code {proc.returncode}")
    _trim(rootfs)
    progress(f"[{profile.name}] importing the rootfs into Docker as {tag}")
    image_id = _import(client, rootfs, tag)
    shutil.rmtree(rootfs)
    return image_id


def _trim(rootfs: Path) -> None:
    """Drop what a sandbox never needs: package caches and documentation."""
    for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man", "usr/share/info"):
        shutil.rmtree(rootfs / junk, ignore_errors=True)


def _import(client: docker.DockerClient, rootfs: Path, tag: str) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for entry in sorted(os.listdir(rootfs)):
            archive.add(rootfs / entry, arcname=entry)
    repository, _, version = tag.partition(":")
    client.api.import_image_from_data(buffer.getvalue(), repository=repository, tag=version)
    return str(client.images.get(tag).id)


def build_all(languages: list[str] | None = None, force: bool = False) -> dict[str, str]:
    """Build the images of `languages` (all by default), printing progress to stderr."""
    client = docker.from_env()

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    names = languages or sorted(LANGUAGES)
    # The debootstraps are mostly waiting (downloads, dpkg's fsyncs): a few at once take
    # about the time of the longest instead of the sum.
    with ThreadPoolExecutor(max_workers=min(len(names), PARALLEL_BUILDS)) as pool:
        futures = {name: pool.submit(build_image, client, LANGUAGES[name], progress, force)
                   for name in names}
        return {name: future.result() for name, future in futures.items()}
