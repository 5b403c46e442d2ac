"""The runner's housekeeping: act as a step's uid, and remove everything that uid left.

Every step (the compile, each test) runs under a uid nothing else ever had in this container,
so "what the step left" is exactly what that uid owns: processes, files in the writable
places, System V IPC objects. Looking costs more than most tests, so each kind has a cheap
exact check first (`only_in`, `ipc_objects`; the runner's for processes is spawn.last_pid)
and the full search runs only when that check does not settle it. Standard library only.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import shutil
import stat
import sys
from collections.abc import Iterator

SCRATCH_DIRS = ("/tmp", "/work", "/dev/mqueue")  # the only places a sandbox uid can write
IPC_RMID = 0
# (call, its *_INFO command, which int of the answer counts the objects in use)
IPC_INFO_COMMANDS = (("shmctl", 14, 0), ("msgctl", 12, 0), ("semctl", 19, 7))
Listing = dict[str, frozenset[str]]
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


def listings() -> Listing:
    """The names in each writable place, at its top."""
    found = {}
    for top in SCRATCH_DIRS:
        try:
            found[top] = frozenset(os.listdir(top))
        except FileNotFoundError:
            found[top] = frozenset()
    return found


def only_in(uid: int, workdir: str, baseline: Listing, remove: bool) -> bool:
    """True when all `uid` can have made is inside `workdir`, which is then removed if asked.

    Every place a step's uid can write is a writable place's top (world-writable, sticky) or
    a directory it owns, and it owns none but `workdir` and what it made. So when the tops
    list exactly what they listed before the step (`baseline`, which holds nothing writable
    by the step) plus `workdir`, everything the uid made is under `workdir`: anything it put
    or moved elsewhere shows in a listing. False means "search": the caller walks instead.
    """
    parent, name = os.path.split(workdir)
    expected = {**baseline, parent: baseline[parent] | {name}}
    if listings() != expected:
        return False
    if not remove:
        return True
    with as_user(uid):
        try:
            if not stat.S_ISDIR(os.lstat(workdir).st_mode):
                return False
            shutil.rmtree(workdir)
        except OSError:
            return False
    return listings() == baseline


def writable_by_others(root: str) -> bool:
    """Whether anything under `root` could be changed by a uid other than its owner."""
    if os.lstat(root).st_mode & 0o022:
        return True
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            info = os.lstat(os.path.join(dirpath, name))
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o022:
                return True
    return False


def copy_tree(source: str, target: str) -> None:
    """A private copy of `source` (modes and times kept), owned by whoever calls it."""
    os.mkdir(target, 0o700)
    for entry in os.scandir(source):
        path = os.path.join(target, entry.name)
        info = entry.stat(follow_symlinks=False)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), path)
            continue
        if entry.is_dir(follow_symlinks=False):
            copy_tree(entry.path, path)
        else:
            _copy_file(entry.path, path)
        os.chmod(path, stat.S_IMODE(info.st_mode))
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    info = os.stat(source)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))


def _copy_file(source: str, target: str) -> None:
    src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      0o600)
        try:
            while os.sendfile(dst, src, None, 1 << 20):
                pass
        finally:
            os.close(dst)
    finally:
        os.close(src)


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


def ipc_objects() -> int | None:
    """How many System V IPC objects this IPC namespace holds, of any owner (None: unknown)."""
    total = 0
    info = ctypes.create_string_buffer(256)
    for function, command, field in IPC_INFO_COMMANDS:
        call = getattr(_libc, function)
        result = call(0, 0, command, info) if function == "semctl" else call(0, command, info)
        if result < 0:
            return None
        total += int.from_bytes(info.raw[field * 4:field * 4 + 4], sys.byteorder, signed=True)
    return total


def remove_ipc_of(uid: int) -> int:
    """Remove the System V IPC objects `uid` owns; return how many could not go."""
    if ipc_objects() == 0:  # the usual case: none at all, no need to read the tables
        return 0
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
