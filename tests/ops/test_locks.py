"""The lock files: every dependency pinned with hashes, in step with pyproject.toml, used by
`make run`, `make test` and both images, and what this environment was installed from."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: frozenset[str]

    @property
    def version(self) -> str:
        [spec] = self.requirement.specifier
        return spec.version

    def applies(self) -> bool:
        marker = self.requirement.marker
        return marker is None or marker.evaluate()


def read_lock(path: Path) -> dict[str, Pin]:
    """The pins of a lock file by canonical name; every entry must be `name==version` + hashes."""
    text = re.sub(r"\\\n", " ", path.read_text())
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), f"{path.name}: option line {line!r} (paths or indexes " \
                                         "of one machine do not belong in a lock)"
        requirement = Requirement(_HASH.sub("", line).strip())
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{path.name}: unpinned {line!r}"
        hashes = frozenset(_HASH.findall(line))
        assert hashes, f"{path.name}: {requirement.name} has no hash"
        pins[canonicalize_name(requirement.name)] = Pin(requirement, hashes)
    return pins


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_declared_dependency_is_locked_at_a_version_it_accepts() -> None:
    project = pyproject()
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    declared = [
        *((spec, runtime) for spec in project["project"]["dependencies"]),  # type: ignore[index]
        *((spec, runtime) for spec in project["build-system"]["requires"]),  # type: ignore[index]
        *((spec, dev) for spec in
          project["project"]["optional-dependencies"]["dev"]),  # type: ignore[index]
    ]
    stale = []
    for spec, lock in declared:
        wanted = Requirement(spec)
        pin = lock.get(canonicalize_name(wanted.name))
        if pin is None or not wanted.specifier.contains(pin.version, prereleases=True):
            stale.append(f"{spec} (locked: {pin.version if pin else 'nothing'})")
    assert not stale, "run `make lock` after changing pyproject.toml: " + ", ".join(stale)


def test_the_dev_lock_repeats_the_runtime_pins_exactly() -> None:
    """Both files are installed together: a package pinned twice must agree."""
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    differ = [name for name, pin in runtime.items()
              if name in dev and (dev[name].version, dev[name].hashes)
              != (pin.version, pin.hashes)]
    assert differ == []
    build_only = {"setuptools"}  # the build system is in the runtime lock only
    assert set(runtime) - set(dev) <= build_only


@pytest.mark.parametrize("installer", ["Makefile", "bridge/Dockerfile", "grader/Dockerfile"])
def test_every_install_goes_through_the_lock(installer: str) -> None:
    text = (ROOT / installer).read_text()
    installs = [line for line in re.sub(r"\\\n", " ", text).splitlines()
                if re.search(r"\bpip install\b", line)]
    assert installs
    lock_installs = [line for line in installs if "--require-hashes" in line]
    assert lock_installs and all("requirements.lock" in line for line in lock_installs)
    # The project itself comes last, without dependencies: nothing unpinned slips in.
    others = [line for line in installs if line not in lock_installs]
    assert others and all("--no-deps" in line and "--no-build-isolation" in line
                          for line in others), others


def test_this_environment_was_installed_from_the_locks() -> None:
    """What `make test` runs on: every locked package at its locked version."""
    pins = {**read_lock(RUNTIME_LOCK), **read_lock(DEV_LOCK)}
    wrong = []
    for name, pin in sorted(pins.items()):
        if not pin.applies():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pin.version:
            wrong.append(f"{name} {installed} (locked {pin.version})")
    assert not wrong, "reinstall the venv from the locks (make venv): " + ", ".join(wrong)
