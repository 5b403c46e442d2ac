"""Run ``python3 [-E] [-s] [-B] script args`` or ``python3 ... -m module args`` in a forked child.

The fork server's interpreter is already up; this gives the child what a fresh ``python3``
would have given the program: a new ``__main__``, ``sys.argv``, ``sys.path``, the environment,
standard streams on descriptors 0-2, and the same ending (exit status, traceback, atexit
handlers, non-daemon threads joined, streams flushed). Standard library only.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import ctypes
import io
import os
import signal
import sys
import types
from dataclasses import dataclass
from importlib.machinery import SourceFileLoader
from typing import Any, NoReturn

PR_SET_DUMPABLE = 4
PYTHONS = ("python3", "/usr/bin/python3", "python", "/usr/bin/python")
FLAGS = {"-E", "-s", "-B"}
HERE = os.path.dirname(os.path.abspath(__file__))
# The path a fresh interpreter has, without the fork server's own directory in front.
BASE_PATH = [p for p in sys.path if os.path.abspath(p or ".") != HERE]


_libc = ctypes.CDLL(None, use_errno=True)


def set_dumpable(on: bool) -> None:
    """prctl(PR_SET_DUMPABLE): off, nobody of another uid can open our /proc entries."""
    if _libc.prctl(PR_SET_DUMPABLE, int(on), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


@dataclass(frozen=True)
class Plan:
    flags: frozenset[str]
    module: str | None
    script: str | None
    args: list[str]


def python_plan(argv: list[str]) -> Plan | None:
    """How to run `argv` in place, or None when it is not a plain Python invocation."""
    if not argv or argv[0] not in PYTHONS:
        return None
    flags, rest = set(), argv[1:]
    while rest and rest[0] in FLAGS:
        flags.add(rest.pop(0))
    if len(rest) >= 2 and rest[0] == "-m":
        return Plan(frozenset(flags), rest[1], None, rest[2:])
    if rest and not rest[0].startswith("-"):
        return Plan(frozenset(flags), None, rest[0], rest[1:])
    return None  # -c, -I, -X, a bare interpreter...: exec the real thing


def _stream(fd: int, name: str, template: Any, writing: bool) -> io.TextIOWrapper:
    raw = io.FileIO(fd, "wb" if writing else "rb", closefd=False)
    buffered: Any = io.BufferedWriter(raw) if writing else io.BufferedReader(raw)
    text = io.TextIOWrapper(buffered, encoding=template.encoding, errors=template.errors,
                            newline="\n", line_buffering=template.line_buffering)
    text.mode = "w" if writing else "r"  # type: ignore[misc]
    raw.name = name
    return text


def _fresh_process_state(plan: Plan, argv: list[str], env: dict[str, str], cwd: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    streams = {"stdin": _stream(0, "<stdin>", sys.__stdin__, False),
               "stdout": _stream(1, "<stdout>", sys.__stdout__, True),
               "stderr": _stream(2, "<stderr>", sys.__stderr__, True)}
    for name, stream in streams.items():  # what the program sees, and what it restores
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    first = os.path.dirname(os.path.abspath(plan.script)) if plan.script else cwd
    extra = []
    if "-E" not in plan.flags:
        extra = [p for p in env.get("PYTHONPATH", "").split(":") if p]
        sys.dont_write_bytecode = "-B" in plan.flags or bool(env.get("PYTHONDONTWRITEBYTECODE"))
    else:
        sys.dont_write_bytecode = "-B" in plan.flags
    sys.path[:] = [first, *extra, *BASE_PATH]
    sys.path_importer_cache.clear()
    sys.orig_argv = list(argv)
    sys.argv = [plan.script or "-m", *plan.args]


def _not_mine(tb: types.TracebackType | None) -> types.TracebackType | None:
    while tb is not None and os.path.dirname(tb.tb_frame.f_code.co_filename) == HERE:
        tb = tb.tb_next
    return tb


def _finish(status: int) -> NoReturn:
    """What Py_FinalizeEx does for the program: threads, atexit, then flush the streams."""
    threading = sys.modules.get("threading")
    if threading is not None:
        with contextlib.suppress(BaseException):  # shutting down regardless
            threading._shutdown()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BaseException as exc:
        print(f"Exception ignored in: {sys.stdout!r}\n{type(exc).__name__}: {exc}",
              file=sys.stderr)
        status = 120
    with contextlib.suppress(BaseException):
        sys.stderr.flush()
    os._exit(status)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        print(code, file=sys.stderr)
    return 1


def _main_module(path: str | None) -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    if path is not None:
        main.__file__ = path
        main.__loader__ = SourceFileLoader("__main__", path)
    sys.modules["__main__"] = main
    return main


def run_python(plan: Plan, argv: list[str], env: dict[str, str], cwd: str) -> NoReturn:
    """Run the program as `python3` would, in this (forked, already limited) process."""
    _fresh_process_state(plan, argv, env, cwd)
    try:
        if plan.module is not None:
            import runpy

            _main_module(None)
            runpy._run_module_as_main(plan.module, alter_argv=True)  # type: ignore[attr-defined]
        else:
            assert plan.script is not None
            path = os.path.abspath(plan.script)
            try:
                with open(path, "rb") as handle:
                    source = handle.read()
            except OSError as exc:
                print(f"{argv[0]}: can't open file {path!r}: [Errno {exc.errno}] "
                      f"{exc.strerror}", file=sys.stderr)
                _finish(2)
            main = _main_module(path)
            code = compile(source, path, "exec", dont_inherit=True)
            exec(code, main.__dict__)  # noqa: S102 - this is the program under test
    except SystemExit as exc:
        _finish(_exit_status(exc.code))
    except BaseException as exc:
        tb = _not_mine(exc.__traceback__)
        with contextlib.suppress(BaseException):
            sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        if isinstance(exc, KeyboardInterrupt):  # as CPython: die of the signal
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGINT)
        _finish(1)
    _finish(0)
