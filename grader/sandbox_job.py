"""From submitted files to a sandbox job: the files checked, the teacher's files added, the
compile step and every test as a step."""

from __future__ import annotations

from grader.exercise import Exercise, PathRefused, unique_paths
from grader.languages import JUNIT_REPORT, LANGUAGES
from grader.sandbox import SandboxJob, SandboxLimits, Step

MAX_SUBMISSION_FILES = 50
MAX_SUBMISSION_BYTES = 1024 * 1024
REPORT_FILE = ".grader-report.jsonl"


class SubmissionRejected(ValueError):
    """Files that cannot be graded at all (wrong names, too large): the student is told why."""


def check_submission(exercise: Exercise, files: dict[str, bytes]) -> dict[str, bytes]:
    """Validate and normalise submitted files; pick the entrypoint if it was misnamed.

    Two names of one file (`a//b.txt`, `a/./b.txt`, `a/b.txt`) are refused, not merged.
    """
    if not files:
        raise SubmissionRejected("the submission has no files")
    if len(files) > MAX_SUBMISSION_FILES:
        raise SubmissionRejected(f"at most {MAX_SUBMISSION_FILES} files may be submitted")
    if sum(len(c) for c in files.values()) > MAX_SUBMISSION_BYTES:
        raise SubmissionRejected(f"the files exceed {MAX_SUBMISSION_BYTES // 1024} KiB in total")
    try:
        clean = unique_paths(files)
    except PathRefused as exc:
        raise SubmissionRejected(f"file name {exc}") from None
    entry = exercise.spec.entrypoint
    if entry not in clean:
        profile = LANGUAGES[exercise.language]
        sources = [n for n in clean if profile.is_source(n)]
        if len(sources) != 1:
            raise SubmissionRejected(f"the submission must contain {entry}")
        clean[entry] = clean.pop(sources[0])
    return clean


def build_job(exercise: Exercise, submission: dict[str, bytes]) -> SandboxJob:
    """The sandbox job for one checked submission: files, the compile step and every test."""
    spec, limits = exercise.spec, exercise.spec.limits
    profile = LANGUAGES[spec.language]
    files = dict(submission)
    for name in spec.files:  # the teacher's support files win over same-named student files
        files[name] = exercise.files[name]
    sources = sorted(n for n in submission if profile.is_source(n))
    if exercise.is_unittest and profile.unittest == "junit":
        assert spec.unittest is not None
        # Compiled with the submission, against JUnit (the teacher's copy wins).
        sources = sorted({*sources, spec.unittest})
    argv = profile.compile_argv(spec.entrypoint, sources, spec.compile_flags, spec.link_flags,
                                limits.compile_memory_mb)
    compile_step = Step(id="compile", argv=argv, time_s=limits.compile_time_s,
                        memory_mb=limits.compile_memory_mb) if argv else None
    if exercise.is_unittest:
        assert spec.unittest is not None
        files[spec.unittest] = exercise.files[spec.unittest]
        junit = profile.unittest == "junit"
        tests = [Step(
            id="unittest",
            argv=profile.unittest_argv(spec.unittest, limits.memory_mb, limits.time_s),
            time_s=limits.total_time_s,
            env={} if junit else {"PYTHONPATH": "/opt/grader",
                                  "GRADER_PYTEST_REPORT": REPORT_FILE},
            read_back=JUNIT_REPORT if junit else REPORT_FILE,
        )]
    else:
        tests = [Step(
            id=str(index),
            argv=profile.run_argv(spec.entrypoint, test.args, limits.memory_mb),
            time_s=test.time_s or limits.time_s,
            stdin=exercise.stdin(test),
            files={target: exercise.files[source] for target, source in test.files.items()},
        ) for index, test in enumerate(exercise.io_tests)]
    return SandboxJob(
        language=spec.language,
        files=files,
        compile=compile_step,
        tests=tests,
        limits=SandboxLimits(
            memory_mb=limits.memory_mb,
            processes=limits.processes,
            output_bytes=limits.output_kb * 1024,
            file_size_bytes=limits.file_size_kb * 1024,
            total_time_s=limits.total_time_s,
            address_space_extra_mb=profile.address_space_extra_mb,
        ),
    )
