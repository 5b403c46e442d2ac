"""Back up real data from PostgreSQL, destroy it, restore it with backups/restore.sh, compare."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "backups" / "backup.sh"
RESTORE = ROOT / "backups" / "restore.sh"
DEFAULT_URL = "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/bridge_test"
REVISION = "3f2a9c1d7b10"
SUBMISSIONS = 1200
RESULTS = 800


@dataclass(frozen=True)
class Server:
    """Connection settings for the test PostgreSQL, as libpq environment variables."""

    env: dict[str, str]

    def psql(self, database: str, sql: str) -> str:
        """Run SQL in one database and return psql's unaligned output."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def create(self, database: str) -> None:
        """Create an empty database."""
        self.psql("postgres", f'CREATE DATABASE "{database}"')

    def drop(self, database: str) -> None:
        """Drop a database even if something is still connected."""
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def exists(self, database: str) -> bool:
        """Whether the database exists."""
        found = self.psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
        return found == "1"


@dataclass(frozen=True)
class Stand:
    """Scratch databases and directories for one test."""

    server: Server
    src: str
    dst: str
    tmp: Path

    @property
    def backup_dir(self) -> Path:
        return self.tmp / "backups"

    @property
    def metrics_dir(self) -> Path:
        return self.tmp / "textfile"

    def run(
        self, script: Path, *args: str, check: bool = True, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a backup script with the stand's environment plus `extra`."""
        env = {
            **self.server.env,
            "BACKUP_DIR": str(self.backup_dir),
            "BACKUP_METRICS_DIR": str(self.metrics_dir),
            **extra,
        }
        done = subprocess.run(
            ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=120
        )
        if check and done.returncode != 0:
            pytest.fail(f"{script.name} failed ({done.returncode}):\n{done.stderr}")
        return done


def _server() -> Server:
    url = urlsplit(os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": unquote(url.username or "postgres"),
        "PGPASSWORD": unquote(url.password or ""),
        "PGCONNECT_TIMEOUT": "10",
    }
    return Server(env)


@pytest.fixture
def stand(tmp_path: Path) -> Iterator[Stand]:
    server = _server()
    suffix = secrets.token_hex(4)
    made = Stand(server, f"backup_src_{suffix}", f"backup_dst_{suffix}", tmp_path)
    server.create(made.src)
    try:
        yield made
    finally:
        server.drop(made.src)
        server.drop(made.dst)


def seed(server: Server, database: str) -> None:
    """Give a database the shape of the bridge's: an Alembic head, related tables, a sequence."""
    server.psql(
        database,
        f"""
        CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('{REVISION}');
        CREATE TYPE submission_state AS ENUM ('queued', 'running', 'graded', 'delivered');
        CREATE TABLE submissions (
            id bigserial PRIMARY KEY,
            moodle_id integer NOT NULL UNIQUE,
            state submission_state NOT NULL,
            payload jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE results (
            id bigserial PRIMARY KEY,
            submission_id bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
            score numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
            feedback text NOT NULL
        );
        CREATE INDEX ix_results_submission_id ON results (submission_id);
        INSERT INTO submissions (moodle_id, state, payload)
            SELECT i, (ARRAY['queued', 'running', 'graded', 'delivered'])[1 + i % 4]::submission_state,
                   jsonb_build_object('files', i % 7, 'lang', 'python')
            FROM generate_series(1, {SUBMISSIONS}) AS i;
        INSERT INTO results (submission_id, score, feedback)
            SELECT i, (i % 101), repeat('ok ', i % 50) FROM generate_series(1, {RESULTS}) AS i;
        """,
    )


def snapshot(server: Server, database: str) -> dict[str, str]:
    """What a restore has to bring back: schema version, counts, a content digest, sequences."""
    return {
        "revision": server.psql(database, "SELECT version_num FROM alembic_version"),
        "submissions": server.psql(database, "SELECT count(*) FROM submissions"),
        "results": server.psql(database, "SELECT count(*) FROM results"),
        "digest": server.psql(
            database,
            "SELECT md5(string_agg(s::text || r::text, ',' ORDER BY s.id)) "
            "FROM submissions s LEFT JOIN results r ON r.submission_id = s.id",
        ),
        "next_id": server.psql(
            database,
            "INSERT INTO submissions (moodle_id, state, payload) "
            "VALUES (-1, 'queued', '{}') RETURNING id",
        ),
    }


def make_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def metrics(stand: Stand) -> dict[str, float]:
    text = (stand.metrics_dir / "backup.prom").read_text()
    pairs = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in pairs}


def sets(stand: Stand, tier: str) -> list[str]:
    return sorted(p.name for p in (stand.backup_dir / tier).iterdir() if p.is_dir())


def test_backup_destroy_restore_brings_everything_back(stand: Stand) -> None:
    server = stand.server
    seed(server, stand.src)
    moodledata = stand.tmp / "moodledata"
    files = stand.tmp / "bridge-files"
    make_tree(
        moodledata,
        {
            "filedir/ab/cd/abcd1234": os.urandom(50_000),
            "lang/en/langconfig.php": b"<?php\n",
            "cache/core/x.cache": b"rebuilt by Moodle",
            "sessions/sess_1": b"session",
        },
    )
    make_tree(files, {"submissions/1/main.py": b"print(input())\n", "exercises/e1/t.yaml": b"x"})
    expected_files = tree(files)
    expected_moodledata = {k: v for k, v in tree(moodledata).items() if k.startswith(("filedir", "lang"))}
    before = time_now()

    stand.run(
        BACKUP,
        BACKUP_DATABASES=f"bridge={stand.src}",
        MOODLEDATA_DIR=str(moodledata),
        BRIDGE_FILES_DIR=str(files),
    )
    [name] = sets(stand, "daily")
    backup_set = stand.backup_dir / "daily" / name
    assert sorted(p.name for p in backup_set.iterdir()) == [
        "MANIFEST", "SHA256SUMS", "bridge-files.tar.gz", "bridge.dump", "moodledata.tar.gz",
    ]
    assert (backup_set / "bridge.dump").read_bytes()[:5] == b"PGDMP"  # custom format
    gauges = metrics(stand)
    assert gauges["backup_last_run_success"] == 1
    assert gauges["backup_last_success_timestamp_seconds"] >= before
    assert gauges["backup_last_size_bytes"] > 50_000

    # Take the first snapshot after the backup: it inserts a row, which the restore must undo.
    wanted = snapshot(server, stand.src)
    server.drop(stand.src)
    for tree_root in (moodledata, files):
        subprocess.run(["rm", "-rf", str(tree_root)], check=True)
        tree_root.mkdir()
    assert not server.exists(stand.src)

    server.create(stand.dst)
    stand.run(
        RESTORE,
        "latest",
        RESTORE_DATABASES=f"bridge={stand.dst}",
        MOODLEDATA_DIR=str(moodledata),
        BRIDGE_FILES_DIR=str(files),
    )

    assert snapshot(server, stand.dst) == wanted
    assert wanted["revision"] == REVISION
    assert wanted["submissions"] == str(SUBMISSIONS)
    assert wanted["results"] == str(RESULTS)
    assert tree(files) == expected_files
    assert tree(moodledata) == expected_moodledata  # caches and sessions are not backed up


def test_restore_replaces_what_the_target_holds(stand: Stand) -> None:
    server = stand.server
    seed(server, stand.src)
    stand.run(BACKUP, BACKUP_DATABASES=f"bridge={stand.src}")
    server.psql(
        stand.src,
        "DELETE FROM results; UPDATE alembic_version SET version_num = 'broken';"
        "CREATE TABLE stray (id int)",
    )

    stand.run(RESTORE, "latest", RESTORE_DATABASES=f"bridge={stand.src}")

    assert server.psql(stand.src, "SELECT version_num FROM alembic_version") == REVISION
    assert server.psql(stand.src, "SELECT count(*) FROM results") == str(RESULTS)


def test_encrypted_set_needs_the_identity(stand: Stand) -> None:
    server = stand.server
    seed(server, stand.src)
    identity = stand.tmp / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()

    stand.run(BACKUP, BACKUP_DATABASES=f"bridge={stand.src}", BACKUP_AGE_RECIPIENTS=recipient)
    [name] = sets(stand, "daily")
    backup_set = stand.backup_dir / "daily" / name
    assert (backup_set / "bridge.dump.age").exists()
    assert not (backup_set / "bridge.dump").exists()
    assert b"PGDMP" not in (backup_set / "bridge.dump.age").read_bytes()

    server.create(stand.dst)
    refused = stand.run(RESTORE, "latest", check=False, RESTORE_DATABASES=f"bridge={stand.dst}")
    assert refused.returncode != 0
    assert "BACKUP_AGE_IDENTITY_FILE" in refused.stderr

    stand.run(
        RESTORE,
        "latest",
        RESTORE_DATABASES=f"bridge={stand.dst}",
        BACKUP_AGE_IDENTITY_FILE=str(identity),
    )
    assert server.psql(stand.dst, "SELECT count(*) FROM submissions") == str(SUBMISSIONS)


def test_corrupted_set_is_refused_before_touching_the_database(stand: Stand) -> None:
    server = stand.server
    seed(server, stand.src)
    stand.run(BACKUP, BACKUP_DATABASES=f"bridge={stand.src}")
    [name] = sets(stand, "daily")
    dump = stand.backup_dir / "daily" / name / "bridge.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    server.create(stand.dst)

    refused = stand.run(RESTORE, "latest", check=False, RESTORE_DATABASES=f"bridge={stand.dst}")

    assert refused.returncode != 0
    assert "bridge.dump: FAILED" in refused.stderr
    assert server.psql(stand.dst, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"


def test_failed_backup_leaves_no_set_and_flags_the_failure(stand: Stand) -> None:
    seed(stand.server, stand.src)
    stand.run(BACKUP, BACKUP_DATABASES=f"bridge={stand.src}", BACKUP_NOW="1700000000")
    good = metrics(stand)

    failed = stand.run(
        BACKUP,
        check=False,
        BACKUP_DATABASES=f"bridge={stand.src} moodle=backup_missing_{secrets.token_hex(4)}",
        BACKUP_NOW="1700086400",
    )

    assert failed.returncode != 0
    assert sets(stand, "daily") == ["2023-11-14T221320Z"]
    assert not [p for p in (stand.backup_dir / "daily").iterdir() if p.name.startswith(".partial")]
    after = metrics(stand)
    assert after["backup_last_run_success"] == 0
    assert after["backup_last_success_timestamp_seconds"] == good[
        "backup_last_success_timestamp_seconds"
    ] == 1700000000
    assert after["backup_last_size_bytes"] == good["backup_last_size_bytes"]


def test_retention_keeps_daily_weekly_and_monthly_sets(stand: Stand) -> None:
    stand.server.psql(stand.src, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
    start = dt.datetime(2024, 1, 20, 2, 0, tzinfo=dt.UTC)
    days = [start + dt.timedelta(days=n) for n in range(0, 50, 3)]
    for day in days:
        stand.run(
            BACKUP,
            BACKUP_DATABASES=f"bridge={stand.src}",
            BACKUP_NOW=str(int(day.timestamp())),
            BACKUP_KEEP_DAILY="3",
            BACKUP_KEEP_WEEKLY="4",
            BACKUP_KEEP_MONTHLY="2",
        )

    def stamp(day: dt.datetime) -> str:
        return day.strftime("%Y-%m-%dT%H%M%SZ")

    first_of: dict[tuple[int, ...], dt.datetime] = {}
    first_in_month: dict[tuple[int, ...], dt.datetime] = {}
    for day in days:
        first_of.setdefault(tuple(day.isocalendar())[:2], day)
        first_in_month.setdefault((day.year, day.month), day)
    assert sets(stand, "daily") == [stamp(d) for d in days[-3:]]
    assert sets(stand, "weekly") == sorted(stamp(d) for d in first_of.values())[-4:]
    assert sets(stand, "monthly") == sorted(stamp(d) for d in first_in_month.values())[-2:]
    # Promoted sets are hard links, not copies.
    [shared, *_] = sorted(set(sets(stand, "daily")) & set(sets(stand, "weekly")))
    daily_dump = stand.backup_dir / "daily" / shared / "bridge.dump"
    weekly_dump = stand.backup_dir / "weekly" / shared / "bridge.dump"
    assert daily_dump.stat().st_ino == weekly_dump.stat().st_ino


def test_verify_only_checks_a_set_without_restoring(stand: Stand) -> None:
    stand.server.psql(stand.src, "CREATE TABLE t (id int)")
    stand.run(BACKUP, BACKUP_DATABASES=f"bridge={stand.src}")
    done = stand.run(RESTORE, "--verify-only", "latest")
    assert "checksums" in done.stderr and "are good" in done.stderr


def time_now() -> float:
    return dt.datetime.now(dt.UTC).timestamp() - 1
