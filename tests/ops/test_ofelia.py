"""Ofelia's schedule: the nightly backup at 02:00 in the 0.3 six-field format, no overlap."""

from __future__ import annotations

import configparser
import re

from tests.ops.helpers import ROOT, services

CONFIG = ROOT / "ofelia" / "config.ini"


def jobs() -> dict[str, configparser.SectionProxy]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(CONFIG.read_text())
    found = {}
    for section in parser.sections():
        match = re.fullmatch(r'job-exec "(.+)"', section)
        if match:
            found[match.group(1)] = parser[section]
    return found


def test_ofelia_is_pinned_to_the_03_series() -> None:
    image = services()["ofelia"]["image"]
    assert re.fullmatch(r"mcuadros/ofelia:0\.3\.\d+", image), image


def test_nightly_backup_runs_at_two_with_seconds_first() -> None:
    job = jobs()["backup-nightly"]
    fields = job["schedule"].split()
    assert len(fields) == 6, "Ofelia 0.3 takes six fields, seconds first"
    second, minute, hour, day, month, weekday = fields
    assert (second, minute, hour) == ("0", "0", "2")
    assert (day, month, weekday) == ("*", "*", "*")
    assert job["command"] == "backup.sh"


def test_no_job_overlaps_itself_and_all_target_the_backup_container() -> None:
    container = services()["backup"]["container_name"]
    for name, job in jobs().items():
        assert job.getboolean("no-overlap"), name
        assert job["container"] == container, name
        script = job["command"].split()[0]
        assert (ROOT / "backups" / script).is_file(), script


def test_backup_image_ships_the_scripts_ofelia_calls() -> None:
    dockerfile = (ROOT / "backups" / "Dockerfile").read_text()
    assert "COPY backups/backup.sh backups/restore.sh /usr/local/bin/" in dockerfile
    assert services()["ofelia"]["depends_on"]["backup"]["condition"] == "service_healthy"
