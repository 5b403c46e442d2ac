"""A pool child leaves its start-up objects out of garbage collection (bridge/worker/app.py).

With the imports' objects frozen, the cycles a job's exception leaves behind are collected
while the child runs, instead of piling up until a rare full collection (issue 14: the Moodle
worker grew to 760 MB during a Moodle outage; `make e2e`'s outage run measures it).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support import REPO


def test_a_new_pool_child_freezes_what_it_imported() -> None:
    script = textwrap.dedent("""
        import gc
        from celery.signals import worker_process_init
        import bridge.worker.app  # connects its signal handlers

        print(gc.get_freeze_count())
        worker_process_init.send(sender=None)  # what a prefork child sends when it starts
        print(gc.get_freeze_count())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True, cwd=REPO,
                          env={"ENVIRONMENT": "test", "PATH": "/usr/bin:/bin"})
    before, after = (int(line) for line in done.stdout.split()[-2:])
    assert before == 0
    assert after > 50_000  # every module the worker imported
