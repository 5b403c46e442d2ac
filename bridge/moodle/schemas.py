"""Typed answers of the Moodle web-service functions the bridge uses (Moodle 5.0 shapes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MoodleModel(BaseModel):
    # Moodle adds fields between releases; only the ones read here are declared.
    model_config = ConfigDict(extra="ignore")


class MoodleWarning(MoodleModel):
    item: str | None = None
    itemid: int | None = None
    warningcode: str
    message: str


class SiteFunction(MoodleModel):
    name: str
    version: str


class SiteInfo(MoodleModel):
    sitename: str
    username: str
    userid: int
    siteurl: str
    release: str | None = None
    version: str | None = None
    functions: list[SiteFunction] = Field(default_factory=list)


class AssignmentConfig(MoodleModel):
    plugin: str
    subtype: str
    name: str
    value: str | None = None


class Assignment(MoodleModel):
    id: int
    cmid: int
    course: int
    name: str
    duedate: int = 0
    cutoffdate: int = 0
    grade: int = Field(description="Maximum grade; negative is the id of a scale.")
    teamsubmission: int = 0
    attemptreopenmethod: str | None = None
    maxattempts: int = -1
    configs: list[AssignmentConfig] = Field(default_factory=list)


class AssignmentCourse(MoodleModel):
    id: int
    fullname: str = ""
    shortname: str = ""
    assignments: list[Assignment] = Field(default_factory=list)


class AssignmentsResponse(MoodleModel):
    courses: list[AssignmentCourse]
    warnings: list[MoodleWarning] = Field(default_factory=list)

    def find(self, assignment_id: int) -> Assignment | None:
        """The assignment with this instance id, if Moodle returned it."""
        for course in self.courses:
            for assignment in course.assignments:
                if assignment.id == assignment_id:
                    return assignment
        return None


class SubmissionFile(MoodleModel):
    filename: str
    filepath: str = "/"
    filesize: int
    fileurl: str
    mimetype: str | None = None
    timemodified: int = 0


class FileArea(MoodleModel):
    area: str
    files: list[SubmissionFile] = Field(default_factory=list)


class EditorField(MoodleModel):
    name: str
    description: str = ""
    text: str
    format: int


class SubmissionPlugin(MoodleModel):
    type: str
    name: str
    fileareas: list[FileArea] = Field(default_factory=list)
    editorfields: list[EditorField] = Field(default_factory=list)


class AssignSubmission(MoodleModel):
    id: int
    userid: int
    attemptnumber: int
    timecreated: int
    timemodified: int
    status: str
    groupid: int = 0
    plugins: list[SubmissionPlugin] = Field(default_factory=list)
    gradingstatus: str | None = None

    def files(self) -> list[SubmissionFile]:
        """Files of the file-submission plugin."""
        return [f for plugin in self.plugins if plugin.type == "file"
                for area in plugin.fileareas if area.area == "submission_files"
                for f in area.files]

    def online_text(self) -> str | None:
        """The online text (HTML) if the plugin is on and the student wrote anything."""
        for plugin in self.plugins:
            if plugin.type == "onlinetext":
                for field in plugin.editorfields:
                    if field.name == "onlinetext" and field.text.strip():
                        return field.text
        return None


class AssignmentSubmissions(MoodleModel):
    assignmentid: int
    submissions: list[AssignSubmission] = Field(default_factory=list)


class SubmissionsResponse(MoodleModel):
    assignments: list[AssignmentSubmissions]
    warnings: list[MoodleWarning] = Field(default_factory=list)

    def for_assignment(self, assignment_id: int) -> list[AssignSubmission]:
        return [s for a in self.assignments if a.assignmentid == assignment_id
                for s in a.submissions]


class Grade(MoodleModel):
    id: int
    userid: int
    attemptnumber: int
    timecreated: int = 0
    timemodified: int = 0
    grader: int | None = None
    grade: float | None = Field(description="Moodle sends a string such as '87.50000'.")

    @field_validator("grade", mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return float(value) if value else None
        return value

    @property
    def is_set(self) -> bool:
        """Moodle writes -1 for "no grade"."""
        return self.grade is not None and self.grade >= 0


class AssignmentGrades(MoodleModel):
    assignmentid: int
    grades: list[Grade] = Field(default_factory=list)


class GradesResponse(MoodleModel):
    assignments: list[AssignmentGrades]
    warnings: list[MoodleWarning] = Field(default_factory=list)

    def latest(self, assignment_id: int, user_id: int) -> Grade | None:
        """The user's grade of the newest graded attempt (Moodle returns only that one)."""
        found = [g for a in self.assignments if a.assignmentid == assignment_id
                 for g in a.grades if g.userid == user_id]
        return max(found, key=lambda g: (g.attemptnumber, g.timemodified), default=None)


# -- local_bridge's quiz functions (moodle_plugin/local/bridge/README.md) ----------------------

MAX_QUESTIONS = 100          # get_attempt_responses refuses more (toomanyquestions)
MAX_RESPONSE_CHARS = 262144  # it cuts a response at this many bytes, so no more characters


class AttemptQuestion(MoodleModel):
    """One linked question of an attempt, its response as plain text."""

    slot: int = Field(ge=1)
    questionid: int = Field(ge=1)
    questionbankentryid: int = Field(ge=1)
    qtype: str = Field(max_length=100)
    maxmark: float = Field(ge=0)
    response: str = Field(max_length=MAX_RESPONSE_CHARS)
    responseformat: int
    responsebytes: int = Field(ge=0)
    truncated: bool
    sequencecheck: int = Field(ge=0)
    state: str = Field(max_length=100)
    mark: float | None = None
    gradedby: int = Field(ge=0, description="Who graded last by hand; 0: nobody.")
    gradedat: int = 0
    gradedmark: float | None = None


class AttemptResponses(MoodleModel):
    """local_bridge_get_attempt_responses: the attempt and its linked questions."""

    attemptid: int
    quizid: int
    cmid: int
    courseid: int
    userid: int
    attempt: int
    state: str = Field(max_length=100)
    timefinish: int = 0
    # The quiz's close date for this attempt's user (overrides applied), 0: none. Optional:
    # a plugin older than 2026120205 does not send it.
    timeclose: int = Field(default=0, ge=0)
    sumgrades: float | None = None
    questions: list[AttemptQuestion] = Field(max_length=MAX_QUESTIONS)
    warnings: list[MoodleWarning] = Field(default_factory=list)

    @field_validator("questions")
    @classmethod
    def _one_per_question(cls, questions: list[AttemptQuestion]) -> list[AttemptQuestion]:
        if len({q.slot for q in questions}) != len(questions) \
                or len({q.questionbankentryid for q in questions}) != len(questions):
            raise ValueError("two questions share a slot or a question bank entry")
        return questions

    def question(self, bank_entry_id: int) -> AttemptQuestion | None:
        """The attempt's question of this bank entry, if it is (still) linked in Moodle."""
        return next((q for q in self.questions if q.questionbankentryid == bank_entry_id), None)


class QuestionGradeSaved(MoodleModel):
    """local_bridge_save_question_grade: the question after the grade (changed: false, a repeat)."""

    attemptid: int
    slot: int
    state: str
    mark: float
    maxmark: float
    sumgrades: float | None = None
    sequencecheck: int
    changed: bool
    warnings: list[MoodleWarning] = Field(default_factory=list)


MAX_FINISHED_ATTEMPTS = 500  # get_finished_attempts answers at most this many at once


class FinishedAttempt(MoodleModel):
    """One finished attempt of a quiz (not a preview)."""

    attemptid: int = Field(ge=1)
    userid: int = Field(ge=1)
    attempt: int = Field(ge=1)
    timefinish: int = Field(ge=0)


class FinishedAttempts(MoodleModel):
    """local_bridge_get_finished_attempts: a quiz's finished attempts, oldest finish first."""

    cmid: int
    quizid: int
    courseid: int
    attempts: list[FinishedAttempt] = Field(max_length=MAX_FINISHED_ATTEMPTS)
    hasmore: bool
    warnings: list[MoodleWarning] = Field(default_factory=list)
