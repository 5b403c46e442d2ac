"""The Moodle client against the stand-in: quirks, error classes, files, and no token in logs."""

from __future__ import annotations

import json
import logging

import pytest

from bridge.moodle import (
    MoodleClient,
    MoodleFileError,
    MoodlePermanentError,
    MoodleProtocolError,
    MoodleUnavailable,
    MoodleWSException,
)
from bridge.moodle.client import _expect_saved
from bridge.moodle.encoding import encode_params, redact, safe_file_name
from bridge.moodle.schemas import (
    AssignmentsResponse,
    GradesResponse,
    SiteInfo,
    SubmissionsResponse,
)
from tests.fakes.moodle import RECORDED, FakeMoodle


@pytest.fixture
def moodle(fake_moodle: FakeMoodle) -> MoodleClient:
    with MoodleClient(fake_moodle.url, fake_moodle.token, timeout=5) as client:
        yield client


def test_parameters_use_php_bracket_notation() -> None:
    assert encode_params({"assignmentids": [3, 4], "includenotenrolledcourses": True,
                          "plugindata": {"editor": {"text": "<p>x</p>", "format": 1}},
                          "grade": 87.5, "since": None}) == [
        ("assignmentids[0]", "3"), ("assignmentids[1]", "4"),
        ("includenotenrolledcourses", "1"), ("plugindata[editor][text]", "<p>x</p>"),
        ("plugindata[editor][format]", "1"), ("grade", "87.5")]


def test_recorded_responses_parse_into_the_typed_models() -> None:
    info = SiteInfo.model_validate_json((RECORDED / "core_webservice_get_site_info.json").read_text())
    assert "mod_assign_save_grade" in {f.name for f in info.functions}
    assignments = AssignmentsResponse.model_validate_json(
        (RECORDED / "mod_assign_get_assignments.json").read_text())
    assert assignments.find(1).grade == 100
    submissions = SubmissionsResponse.model_validate_json(
        (RECORDED / "mod_assign_get_submissions.all.json").read_text())
    second = submissions.for_assignment(1)[1]
    assert [f.filename for f in second.files()] == ["README.txt", "solution.py"]
    assert submissions.for_assignment(1)[0].online_text().startswith("<p>Smoke run")
    grades = GradesResponse.model_validate_json((RECORDED / "mod_assign_get_grades.json").read_text())
    assert grades.latest(1, 5).grade == 87.5  # sent as the string "87.50000"


def test_site_info(moodle: MoodleClient, fake_moodle: FakeMoodle) -> None:
    info = moodle.get_site_info()
    assert info.username == "bridge" and info.siteurl == fake_moodle.url


def test_assignments_ask_for_courses_the_bridge_is_not_enrolled_in(
        moodle: MoodleClient, fake_moodle: FakeMoodle) -> None:
    found = moodle.get_assignments([2]).find(1)
    assert found is not None and found.cmid == 1 and found.grade == 100
    # Without the flag Moodle answers with a warning, not an error: the quirk the client avoids.
    raw = moodle.call("mod_assign_get_assignments", {"courseids": [2]})
    assert raw["courses"] == [] and raw["warnings"][0]["warningcode"] == "2"


def test_submissions_grades_and_save_grade(moodle: MoodleClient, fake_moodle: FakeMoodle) -> None:
    fake_moodle.add_submission(1, 5, {"hello.py": b"print(1)\n"}, "<p>hi</p>")
    submission = moodle.get_submissions([1], status="submitted").for_assignment(1)[0]
    assert submission.userid == 5 and submission.online_text() == "<p>hi</p>"
    assert moodle.download(submission.files()[0].fileurl, max_bytes=100) == b"print(1)\n"

    assert moodle.save_grade(assignment_id=1, user_id=5, grade=87.5, attempt_number=0,
                             feedback_html="<p>ok</p>") is None  # Moodle's `null`
    sent = fake_moodle.saved_grades[-1]
    assert sent["grade"] == "87.5" and sent["applytoall"] == "0" and sent["addattempt"] == "0"
    assert sent["plugindata"]["assignfeedbackcomments_editor"] == {"text": "<p>ok</p>",
                                                                   "format": "1"}
    grade = moodle.get_grades([1]).latest(1, 5)
    assert grade.grade == 87.5 and grade.is_set


def test_save_functions_accept_null_zero_and_empty_but_not_warnings() -> None:
    for ok in (None, 0, {}, []):
        _expect_saved("f", ok)
    warnings = json.loads((RECORDED / "errors/submit_already_submitted.json").read_text())
    with pytest.raises(MoodlePermanentError, match="couldnotsavesubmission"):
        _expect_saved("f", warnings)
    with pytest.raises(MoodleProtocolError):
        _expect_saved("f", {"unexpected": True})


@pytest.mark.parametrize(("function", "params", "errorcode"), [
    ("mod_assign_save_grade", {"assignmentid": 1}, "invalidparameter"),
    ("core_user_create_users", {}, "accessexception"),
])
def test_moodle_exceptions_inside_http_200_are_permanent(
        moodle: MoodleClient, function: str, params: dict, errorcode: str) -> None:
    with pytest.raises(MoodleWSException) as caught:
        moodle.call(function, params)
    assert caught.value.errorcode == errorcode and not caught.value.retryable


def test_wrong_token_is_permanent_and_never_shown(fake_moodle: FakeMoodle,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "test-only-wrong-token-feedbeef"
    with MoodleClient(fake_moodle.url, wrong) as client:
        with pytest.raises(MoodleWSException) as caught:
            client.get_site_info()
        assert caught.value.errorcode == "invalidtoken" and not caught.value.retryable
        with pytest.raises(MoodlePermanentError, match="invalidtoken"):
            client.download(f"{fake_moodle.url}/webservice/pluginfile.php/16/"
                            "assignsubmission_file/submission_files/1/x.py", max_bytes=10)
    assert wrong not in str(caught.value) and wrong not in repr(client)
    assert wrong not in caplog.text


def test_downtime_and_bad_answers_are_retryable(moodle: MoodleClient,
                                                fake_moodle: FakeMoodle) -> None:
    fake_moodle.outage = 503
    with pytest.raises(MoodleUnavailable) as caught:
        moodle.get_site_info()
    assert caught.value.retryable
    fake_moodle.outage = 200  # an HTML page with 200, as a misconfigured proxy sends
    with pytest.raises(MoodleProtocolError) as protocol:
        moodle.get_site_info()
    assert protocol.value.retryable
    fake_moodle.outage = None
    fake_moodle.stop()
    with pytest.raises(MoodleUnavailable) as refused:
        moodle.get_site_info()
    assert refused.value.retryable
    fake_moodle.start()
    assert moodle.get_site_info().username == "bridge"


def test_files_are_limited_and_the_token_stays_home(moodle: MoodleClient, fake_moodle: FakeMoodle,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    submission = fake_moodle.add_submission(1, 5, {"big.py": b"x" * 5000})
    url = (f"{fake_moodle.url}/webservice/pluginfile.php/16/assignsubmission_file/"
           f"submission_files/{submission.id}/big.py")
    assert len(moodle.download(url, max_bytes=5000)) == 5000
    with pytest.raises(MoodleFileError, match="larger"):
        moodle.download(url, max_bytes=4999)
    with pytest.raises(MoodleFileError, match="outside the site"):
        moodle.download("http://evil.invalid/webservice/pluginfile.php/1/x", max_bytes=10)
    with pytest.raises(MoodleFileError, match="outside the site"):
        moodle.download(f"{fake_moodle.url}/login/token.php", max_bytes=10)
    assert fake_moodle.token not in caplog.text  # httpx logs the GET ...?token= line
    assert "token=***" in caplog.text


def test_redaction_and_safe_names() -> None:
    assert redact("GET http://m/x.php?token=abc123&x=1 wstoken=zz", "abc123") == \
        "GET http://m/x.php?token=***&x=1 wstoken=***"
    assert safe_file_name("/", "hello.py") == "hello.py"
    assert safe_file_name("/src/", "../../etc/passwd") == "src/etc_passwd"
    assert safe_file_name("/", ".bashrc") == "bashrc"
    assert safe_file_name("/", "mon fichier é.py") == "mon_fichier_e.py"
    with pytest.raises(ValueError):
        safe_file_name("/", "...")


@pytest.mark.parametrize("answer", [b"[" * 100_000 + b"]" * 100_000,
                                    b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_a_deeply_nested_answer_is_a_protocol_error(answer: bytes, moodle: MoodleClient,
                                                    fake_moodle: FakeMoodle) -> None:
    """Bounded parsing of Moodle's answers: refused before Python recurses through them."""
    fake_moodle.raw_answer = answer
    with pytest.raises(MoodleProtocolError, match="nested deeper than 32 levels"):
        moodle.get_site_info()
