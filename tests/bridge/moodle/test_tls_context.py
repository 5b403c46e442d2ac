"""Moodle clients share one TLS context: a client kept alive (by a job's exception, until the
garbage collector runs) costs kilobytes, not a copy of the CA bundle."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bridge.moodle.client import MoodleClient, tls_context
from tests.support import REPO

KEPT = 300


def test_clients_of_every_site_use_the_one_context() -> None:
    first, second = MoodleClient("https://a.example", "t"), MoodleClient("https://b.example", "t")
    try:
        pools = [client._http._transport._pool for client in (first, second)]  # type: ignore[attr-defined]
        assert pools[0]._ssl_context is pools[1]._ssl_context is tls_context()
    finally:
        first.close()
        second.close()


def test_clients_kept_alive_cost_little_memory() -> None:
    """What the Moodle worker did during an outage: hundreds of clients not yet collected."""
    script = textwrap.dedent(f"""
        import gc, os
        from bridge.moodle.client import MoodleClient

        def rss_mb():
            return int(open(f"/proc/{{os.getpid()}}/statm").read().split()[1]) * 4096 / 2**20

        gc.disable()  # as in a big worker heap, where a full collection is rare
        MoodleClient("https://warm.example", "t").close()
        before = rss_mb()
        kept = [MoodleClient(f"https://site{{n}}.example", "t") for n in range({KEPT})]
        print(rss_mb() - before)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True, cwd=REPO,
                          env={"ENVIRONMENT": "test", "PATH": "/usr/bin:/bin"})
    grown_mb = float(done.stdout.split()[-1])
    print(f"{KEPT} clients kept: +{grown_mb:.1f} MB")
    # A context per client: +244 MB for 300 (0.8 MB each); one shared: about 1 MB in all.
    assert grown_mb < 30, grown_mb
