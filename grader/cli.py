"""`grader` command line: grade locally in the real sandbox, build runner images."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.results import GradingResult, TestStatus

STATUS_MARK = {TestStatus.PASSED: "ok", TestStatus.FAILED: "FAIL"}


def read_submission(path: Path) -> dict[str, bytes]:
    """A submission from a file or a directory (recursively, no symlinks, no dotfiles)."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or directory")
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
        and not any(part.startswith(".") or part == "__pycache__"
                    for part in p.relative_to(path).parts)
    }


def format_table(label: str, result: GradingResult) -> str:
    """A readable table of one result."""
    rows = [(t.name, t.status.value, f"{t.score:g}/{t.max_score:g}",
             f"{t.time_s:.3f}s" if t.time_s is not None else "-", t.visibility.value, t.message)
            for t in result.tests]
    headers = ("test", "status", "points", "time", "visibility", "details")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers[:-1])]
    lines = [f"== {label}: {result.status.value}, {result.score:g}/{result.max_score:g} points"
             f" in {result.total_time_s:.2f}s"]
    if result.message:
        lines.append(f"   {result.message}")
    if result.compile_output.strip():
        lines.append("   compiler output:")
        lines.extend("     " + line for line in result.compile_output.rstrip().splitlines()[:30])
    lines.append("   " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
                 + "  details")
    for row in rows:
        cells = "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True))
        lines.append(f"   {cells}  {row[-1]}")
    for test in result.tests:
        if test.status is not TestStatus.PASSED and (test.expected or test.actual or test.stderr):
            lines.append(f"   --- {test.name}")
            if test.expected is not None:
                lines.append("     expected: " + test.expected[:300].replace("\n", "\\n"))
            if test.actual is not None:
                lines.append("     actual:   " + test.actual[:300].replace("\n", "\\n"))
            if test.stderr:
                indented = test.stderr[-300:].replace("\n", "\n" + " " * 15)
                lines.append("     stderr:   " + indented)
    lines.append(f"   image {result.image_digest[:19]}  grader {result.grader_version}")
    return "\n".join(lines)


def check(args: argparse.Namespace) -> int:
    from grader.config import get_grader_settings
    from grader.exercise import ExerciseError, load_exercise
    from grader.exercise.archive import load_exercise_zip
    from grader.grading import grade
    from grader.images import ImageMissing, build_image
    from grader.languages import LANGUAGES
    from grader.sandbox.docker import DockerSandbox

    try:
        source = Path(args.exercise)
        exercise = load_exercise_zip(source) if source.is_file() else load_exercise(source)
    except ExerciseError as exc:
        # In a zip, the entry at fault; the zip itself when the whole archive is refused.
        where = "" if exc.file == source.name else f"{args.exercise}/"
        print(f"error: {where}{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs: list[tuple[str, str, Path]] = [("submission", str(p), Path(p)) for p in args.paths]
    runs += [("solution", str(p), Path(p)) for p in args.solution]
    runs += [("wrong", str(p), Path(p)) for p in args.wrong]
    if not runs:
        print("error: give a submission path, --solution or --wrong", file=sys.stderr)
        return 2
    sandbox = DockerSandbox(get_grader_settings())
    try:
        try:
            sandbox.image_digest(exercise.language)
        except ImageMissing as missing:
            print(f"{missing}\nbuilding it now (this happens once)...", file=sys.stderr)
            try:
                build_image(sandbox.client, LANGUAGES[exercise.language],
                            progress=lambda m: print(m, file=sys.stderr, flush=True))
            except ImageMissing as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        failures, documents = 0, []
        for kind, label, path in runs:
            try:
                files = read_submission(path)
            except OSError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            result = grade(exercise, files, sandbox)
            documents.append(
                {"kind": kind, "path": label, "result": result.model_dump(mode="json")}
            )
            full = result.max_score > 0 and result.score == result.max_score
            verdict = ""
            if kind == "solution" and not full:
                failures += 1
                verdict = "reference solution does NOT earn full marks"
            elif kind == "wrong" and full:
                failures += 1
                verdict = "wrong solution earns full marks: the tests do not catch it"
            if not args.json:
                print(format_table(f"{kind} {label}", result))
                if verdict:
                    print(f"   !! {verdict}")
                print()
        if args.json:
            print(json.dumps(documents if len(documents) > 1 else documents[0]["result"],
                             indent=2))
        return 1 if failures else 0
    finally:
        sandbox.close()


def images(args: argparse.Namespace) -> int:
    from grader.images import ImageMissing, build_all

    try:
        built = build_all(args.languages or None, force=args.force)
    except ImageMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for language, image_id in built.items():
        print(f"{language}: {image_id}")
    return 0


def schema(_: argparse.Namespace) -> int:
    print(json.dumps(GradingResult.model_json_schema(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `grader` command."""
    parser = argparse.ArgumentParser(prog="grader", description="Moodle Bridge grader")
    commands = parser.add_subparsers(dest="command", required=True)
    checker = commands.add_parser("check", help="grade submissions locally in the sandbox")
    checker.add_argument("exercise",
                         help="exercise directory (with exercise.yaml), or a zip of one")
    checker.add_argument("paths", nargs="*", help="submission files or directories")
    checker.add_argument("--solution", action="append", default=[],
                         help="a reference solution that must earn full marks")
    checker.add_argument("--wrong", action="append", default=[],
                         help="a wrong solution that must not earn full marks")
    checker.add_argument("--json", action="store_true", help="print the result document")
    checker.set_defaults(func=check)
    builder = commands.add_parser("images", help="manage runner images")
    image_commands = builder.add_subparsers(dest="images_command", required=True)
    build = image_commands.add_parser("build", help="build runner images offline (debootstrap)")
    build.add_argument("languages", nargs="*")
    build.add_argument("--force", action="store_true")
    build.set_defaults(func=images)
    schema_cmd = commands.add_parser("schema", help="print the result JSON schema")
    schema_cmd.set_defaults(func=schema)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
