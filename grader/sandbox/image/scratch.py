"""The runner's housekeeping: act as a step's uid, and remove everything that uid left.

Every step (the compile, each test) runs under a uid nothing else ever had in this container,
so "what the step left" is exactly what that uid owns: processes, files in the writable
places, System V IPC objects. Standard library only.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import shutil
import stat
from collections.abc import Iterator

SCRATCH_DIRS = ("/tmp", "/work", "/dev/mqueue")  # the only places a sandbox uid can write
IPC_RMID = 0
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def as_user(uid: int) -> Iterator[None]:
    """File work in a step's directories as the step's uid (root here has no DAC override)."""
    os.setegid(uid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def safe_join(root: str, relative: str) -> str:
    path = os.path.normpath(os.path.join(root, relative))
    if os.path.isabs(relative) or not path.startswith(root + os.sep):
        raise ValueError(f"unsafe path {relative!r}")
    return path


def write_files(root: str, files: dict[str, str]) -> None:
    for relative, encoded in files.items():
        path = safe_join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(encoded))


def processes_of(uid: int) -> list[int]:
    """Live (non-zombie) processes of `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rpartition(b")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != b"Z":
            found.append(int(entry))
    return found


def remove_files_of(uid: int, keep: str | None = None) -> list[str]:
    """Delete what `uid` owns in the writable places (but `keep`); return what could not go."""
    left: list[str] = []
    with as_user(uid):
        for top in SCRATCH_DIRS:
            if not os.path.isdir(top):
                continue
            for dirpath, dirnames, filenames in os.walk(top, topdown=True):
                if keep is not None and dirpath == os.path.dirname(keep):
                    dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != keep]
                for name in [*filenames, *dirnames]:
                    path = os.path.join(dirpath, name)
                    try:
                        info = os.lstat(path)
                    except FileNotFoundError:
                        continue
                    if info.st_uid != uid:
                        continue
                    try:
                        if stat.S_ISDIR(info.st_mode):
                            os.chmod(path, 0o700)
                            shutil.rmtree(path)
                            dirnames.remove(name)
                        else:
                            os.unlink(path)
                    except OSError:
                        left.append(path)
    return left


def remove_ipc_of(uid: int) -> int:
    """Remove the System V IPC objects `uid` owns; return how many could not go."""
    left = 0
    for kind, remove in (("shm", _libc.shmctl), ("msg", _libc.msgctl), ("sem", _libc.semctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                header, *rows = [line.split() for line in handle.read().splitlines()]
        except (OSError, ValueError):
            continue
        uid_column = header.index("uid")
        for fields in rows:
            if len(fields) <= uid_column or fields[uid_column] != str(uid):
                continue
            with as_user(uid):
                if kind == "sem":
                    failed = remove(int(fields[1]), 0, IPC_RMID) != 0
                else:
                    failed = remove(int(fields[1]), IPC_RMID, None) != 0
            left += failed
    return left


def read_back(root: str, relative: str, cap: int) -> str | None:
    """Read a file the student could have replaced: no symlinks, regular files only, capped."""
    try:
        fd = os.open(safe_join(root, relative), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return base64.b64encode(os.read(fd, cap)).decode()
    finally:
        os.close(fd)
