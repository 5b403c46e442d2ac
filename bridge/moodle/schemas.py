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
