"""Click-to-gradebook latency: `python -m tests.e2e.latency {moodle,standin} [...]` (issue 17).

From the moment a student's "Submit" reaches Moodle to the moment the automatic grade is in the
gradebook, over N submissions; prints every figure, then p50 and p95.

`moodle`: a real Moodle 5.0 site with local_bridge, a bridge and cron every minute. The script
signs each student in (login/token.php, service moodle_mobile_app), uploads the program to a
draft area (webservice/upload.php), calls mod_assign_save_submission, then times
mod_assign_submit_for_grading (the click) until gradereport_user_get_grade_items shows the
assignment graded after it. Students are used in turn; with fewer students than submissions a
teacher's token reverts each graded submission to draft (mod_assign_revert_submissions_to_draft)
so the student can submit again.

`standin`: everything on this machine (a scratch database, `bridge serve`, a Moodle worker and a
grading worker, the Moodle stand-in). `--send at-once` sends each notification as the plugin's
first try does, right after the submit; `--send cron` waits for the next run of a cron that
runs every minute, as the plugin did before (the ad-hoc task alone).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

PROGRAM = b"print(f'Hello, {input()}!')\n"


# For a site whose assignment adds two numbers (the real test site's ex_sum.yaml): a correct
# program and one that fails the negative-number test, alternated so that every round changes
# the grade in the gradebook.
SUM_PROGRAMS = (b"a, b = map(int, input().split())\nprint(a + b)\n",
                b"a, b = map(int, input().split())\nprint(a + b if a >= 0 else 0)\n")


def program(n: int, base: bytes = PROGRAM) -> bytes:
    """A program, different each time: nothing may be answered from a cache."""
    return base + f"# submission {n} at {time.time():.3f}\n".encode()


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction in (0, 1])."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def report(label: str, latencies: list[float], missing: int) -> None:
    """Print the figures of a run."""
    print(f"{label}: {len(latencies)} graded, {missing} not graded in time")
    if latencies:
        print("  each (s): " + " ".join(f"{v:.1f}" for v in latencies))
        print(f"  p50 {percentile(latencies, 0.5):.1f} s, p95 {percentile(latencies, 0.95):.1f} s,"
              f" max {max(latencies):.1f} s, mean {statistics.fmean(latencies):.1f} s")


# -- a real Moodle site ------------------------------------------------------------------------

class Site:
    """Web-service calls to a Moodle site (REST, JSON), exceptions raised."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=60)

    def token(self, username: str, password: str) -> str:
        answer = self.http.post(f"{self.url}/login/token.php", data={
            "username": username, "password": password, "service": "moodle_mobile_app"}).json()
        if "token" not in answer:
            raise RuntimeError(f"no token for {username}: {answer.get('error', answer)}")
        return str(answer["token"])

    def call(self, token: str, function: str, **params: Any) -> Any:
        flat: dict[str, Any] = {"wstoken": token, "wsfunction": function,
                                "moodlewsrestformat": "json"}
        for key, value in params.items():
            if isinstance(value, list):
                flat |= {f"{key}[{i}]": v for i, v in enumerate(value)}
            elif isinstance(value, dict):
                flat |= {f"{key}[{k}]": v for k, v in value.items()}
            else:
                flat[key] = value
        answer = self.http.post(f"{self.url}/webservice/rest/server.php", data=flat).json()
        if isinstance(answer, dict) and "exception" in answer:
            raise RuntimeError(f"{function}: {answer.get('errorcode')}: {answer.get('message')}")
        return answer

    def upload(self, token: str, name: str, content: bytes) -> int:
        answer = self.http.post(f"{self.url}/webservice/upload.php",
                                data={"token": token, "filearea": "draft", "itemid": 0},
                                files={"file_1": (name, content)}).json()
        if not isinstance(answer, list) or not answer:
            raise RuntimeError(f"upload refused: {answer}")
        return int(answer[0]["itemid"])


def gradebook(site: Site, token: str, args: argparse.Namespace,
              userid: int) -> tuple[float | None, int]:
    """The student's own gradebook entry of the assignment: (raw grade, when graded)."""
    items = site.call(token, "gradereport_user_get_grade_items", courseid=args.course,
                      userid=userid)["usergrades"][0]["gradeitems"]
    for item in items:
        if item.get("itemmodule") == "assign" and int(item.get("iteminstance") or 0) \
                == args.assignment:
            raw = item.get("graderaw")
            return (None if raw is None else float(raw)), int(item.get("gradedategraded") or 0)
    return None, 0


def run_moodle(args: argparse.Namespace) -> list[float]:
    """Submit N times on a real site and time each grade's arrival in the gradebook."""
    site = Site(args.url)
    students = []
    for pair in args.student:
        username, password = pair.split(":", 1)
        token = site.token(username, password)
        userid = int(site.call(token, "core_webservice_get_site_info")["userid"])
        students.append((username, token, userid))
    latencies: list[float] = []
    for n in range(args.submissions):
        username, token, userid = students[n % len(students)]
        if n >= len(students) and not args.no_drafts:
            if not args.teacher_token:
                raise SystemExit("more submissions than students needs --teacher-token")
            site.call(args.teacher_token, "mod_assign_revert_submissions_to_draft",
                      assignmentid=args.assignment, userids=[userid])
        before = gradebook(site, token, args, userid)
        base = SUM_PROGRAMS[(n // len(students)) % 2] if args.exercise == "sum" else PROGRAM
        itemid = site.upload(token, args.filename, program(n, base))
        if args.no_drafts:
            # Saving is submitting (submissiondrafts off): the save is the click.
            clicked = time.time()
            site.call(token, "mod_assign_save_submission", assignmentid=args.assignment,
                      plugindata={"files_filemanager": itemid})
        else:
            site.call(token, "mod_assign_save_submission", assignmentid=args.assignment,
                      plugindata={"files_filemanager": itemid})
            clicked = time.time()
            site.call(token, "mod_assign_submit_for_grading", assignmentid=args.assignment,
                      acceptsubmissionstatement=1)
        answered = time.time() - clicked
        graded = None
        while time.time() - clicked < args.timeout:
            now = gradebook(site, token, args, userid)
            if now[0] is not None and (now[0] != before[0] or now[1] >= int(clicked)):
                graded = time.time() - clicked
                break
            time.sleep(0.25)
        print(f"  {n + 1:3d} {username}: submit answered in {answered:.2f} s, "
              + (f"in the gradebook after {graded:.1f} s" if graded is not None else "no grade"),
              flush=True)
        if graded is not None:
            latencies.append(graded)
    return latencies


# -- the stand-in ------------------------------------------------------------------------------

@contextmanager
def standin_stack(workdir: Path, grading_workers: int) -> Iterator[tuple[Any, str]]:
    """Scratch database, bridge serve, both workers and the stand-in: (moodle, bridge URL)."""
    from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE
    from tests.bridge.auth.served import run_bridge, scratch_database_url, serving
    from tests.conftest import API_KEY, TEST_REDIS_URL, recreate_database
    from tests.fakes.fixtures import HELLO_EXERCISE
    from tests.fakes.moodle import FakeMoodle
    from tests.support import celery_worker, grading_env

    database = scratch_database_url("latency")
    recreate_database(database)
    run_bridge(database, "migrate")
    with ExitStack() as stack:
        moodle = stack.enter_context(FakeMoodle())
        moodle.add_assignment(1, cmid=1, course=2, grade=100)
        sites = json.dumps({moodle.site: {"url": moodle.url, "token": moodle.token,
                                          "webhook_secret": moodle.secret}})
        core = {"ENVIRONMENT": "test", "DATABASE_URL": database, "BROKER_URL": TEST_REDIS_URL}
        bridge = stack.enter_context(serving(database, MOODLE_SITES=sites,
                                             BROKER_URL=TEST_REDIS_URL))
        linked = httpx.put(f"{bridge}/api/v1/sites/{moodle.site}/assignments/1/exercise",
                           headers={"X-API-Key": API_KEY},
                           json={"course_id": 2, "instance_id": 1,
                                 "files": {"exercise.yaml": HELLO_EXERCISE}})
        linked.raise_for_status()
        env = os.environ | core | {"BRIDGE_API_KEY": API_KEY, "MOODLE_SITES": sites}
        stack.enter_context(celery_worker(MOODLE_QUEUE, env, workdir / "moodle.log",
                                          pool="threads", concurrency=4))
        stack.enter_context(celery_worker(GRADING_QUEUE, grading_env(**core),
                                          workdir / "grading.log", concurrency=grading_workers))
        yield moodle, bridge


def run_standin(args: argparse.Namespace) -> list[float]:
    """Submit N times to the stand-in, notify as the plugin does, time each grade's arrival."""
    workdir = Path(tempfile.mkdtemp(prefix="latency-"))
    with standin_stack(workdir, args.grading_workers) as (moodle, bridge):
        cron_phase = random.uniform(0, 60)  # where in the minute this site's cron runs
        clicked: dict[int, float] = {}

        def notify(submission: Any) -> None:
            if args.send == "cron":
                now = time.time()
                next_run = now + (cron_phase - now) % 60
                time.sleep(next_run - now)
            with httpx.Client(base_url=bridge, timeout=5) as client:
                for _try in range(20):  # the ad-hoc task's retries, compressed
                    try:
                        if moodle.send_notification(client, submission).status_code < 300:
                            return
                    except httpx.HTTPError:
                        pass
                    time.sleep(1)

        graded: dict[int, float] = {}
        done = threading.Event()

        def watch() -> None:
            # The gradebook, watched from the first submission on.
            while not done.is_set():
                for user, at in list(clicked.items()):
                    if user not in graded and moodle.grade_of(1, user) is not None:
                        graded[user] = time.time() - at
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        threads = []
        for n in range(args.submissions):
            user = 1000 + n
            submission = moodle.add_submission(1, user, {"hello.py": program(n)})
            clicked[user] = time.time()
            thread = threading.Thread(target=notify, args=(submission,), daemon=True)
            thread.start()
            threads.append(thread)
            time.sleep(args.interval)
        deadline = time.time() + args.timeout
        while len(graded) < len(clicked) and time.time() < deadline:
            time.sleep(0.2)
        done.set()
        watcher.join()
        pushed = sorted({(int(g["userid"]), g["grade"]) for g in moodle.saved_grades})
        print(f"  grades pushed by the bridge: {len(pushed)}, values {sorted({g for _, g in pushed})}")
        return [graded[u] for u in sorted(graded)]


def main(argv: list[str] | None = None) -> int:
    """Run, print the figures; exit 1 when a submission was not graded in time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="target", required=True)
    real = sub.add_parser("moodle", help="a real Moodle site")
    real.add_argument("--url", required=True)
    real.add_argument("--course", type=int, required=True)
    real.add_argument("--assignment", type=int, required=True, help="assign.id")
    real.add_argument("--student", action="append", required=True, help="username:password")
    real.add_argument("--teacher-token", help="to reopen submissions for another round")
    real.add_argument("--filename", default="solution.py")
    real.add_argument("--exercise", choices=("sum", "hello"), default="sum",
                      help="which programs to submit (sum: the test site's ex_sum.yaml)")
    real.add_argument("--no-drafts", action="store_true",
                      help="the assignment has submissiondrafts off: saving submits")
    standin = sub.add_parser("standin", help="the stand-in, bridge and workers on this machine")
    standin.add_argument("--send", choices=("at-once", "cron"), default="at-once")
    standin.add_argument("--interval", type=float, default=2.0,
                         help="seconds between two submissions")
    standin.add_argument("--grading-workers", type=int, default=2)
    for each in (real, standin):
        each.add_argument("-n", "--submissions", type=int, default=30)
        each.add_argument("--timeout", type=float, default=300, help="seconds per submission")
    args = parser.parse_args(argv)
    latencies = run_moodle(args) if args.target == "moodle" else run_standin(args)
    label = args.target if args.target == "moodle" else f"stand-in, send {args.send}"
    report(label, latencies, args.submissions - len(latencies))
    return 0 if len(latencies) == args.submissions else 1


if __name__ == "__main__":
    sys.exit(main())
