<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * English strings.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['attemptnotfinished'] = 'The bridge reads and grades only finished quiz attempts (not previews).';
$string['attempts'] = 'Deliveries tried';
$string['autograding'] = 'Autograding';
$string['bridge:configure'] = 'Configure autograding of an activity';
$string['bridge:viewstatus'] = 'View the delivery status of notifications to the bridge';
$string['bridgeunavailable'] = 'The bridge could not be asked: {$a}';
$string['bridgeurl'] = 'Bridge URL';
$string['bridgeurl_desc'] = 'Base address of the Moodle Bridge, for example https://bridge.example.org. Notifications go to /api/v1/intake/notifications and exercises to /api/v1/intake/exercises below it. Moodle\'s HTTP security settings block loopback and private addresses and every port but 80 and 443: for a bridge on 127.0.0.1 or another port, remove the address from "cURL blocked hosts list" (curlsecurityblockedhosts) and add the port to "cURL allowed ports list" (curlsecurityallowedport).';
$string['bridgeverdict'] = 'What the bridge said';
$string['enabled'] = 'Grade submissions automatically';
$string['enabled_help'] = 'Every submission is sent to the Moodle Bridge, which runs it against the exercise\'s tests and writes the grade and feedback back.';
$string['exercise'] = 'Exercise (exercise.yaml)';
$string['exercise_help'] = 'The exercise definition: language, tests, limits. It is sent to the bridge with the exercise files when you save, and the bridge\'s verdict (valid, or its exact error naming the file and field) is shown here and after saving. Leave it empty when the exercise files hold exercise.yaml (for example a zip of the exercise folder).';
$string['exercisebadpath'] = 'The file "{$a}" cannot be part of an exercise: use a relative path inside the exercise folder, without "..".';
$string['exercisedownload'] = 'Exercise as a zip';
$string['exercisedownload_help'] = 'Downloads the exercise the bridge grades new submissions with (exercise.yaml and all its files) as a zip. Try it on your computer with "grader check exercise.zip --solution good.py --wrong bad.py", change it, and upload the zip again in "Exercise files".';
$string['exercisedownloadlink'] = 'Download the exercise';
$string['exercisefiles'] = 'Exercise files';
$string['exercisefiles_help'] = 'The files the exercise needs besides exercise.yaml: the pytest test file of a unit-test exercise, input and expected-output files, data and support files, in folders as exercise.yaml names them. Or upload one zip of the whole exercise folder (exercise.yaml included, leave the text above empty): it is sent to the bridge as it is and unpacked there. Each save makes a new version of the exercise on the bridge when something changed; submissions made before keep the version they were made with.';
$string['exercisefileslimits'] = 'At most {$a->files} files and {$a->size} in all (the file manager above rounds this limit to whole megabytes).';
$string['exercisefilestoolarge'] = 'The exercise and its files are larger than {$a} together.';
$string['exercisenotlinked'] = 'The bridge holds no exercise for this activity yet.';
$string['exerciserequired'] = 'Autograding needs an exercise: its exercise.yaml, or a zip of the exercise folder in "Exercise files".';
$string['exercisetoolarge'] = 'The exercise is larger than {$a}.';
$string['exercisetoomanyfiles'] = 'An exercise has at most {$a} files.';
$string['exercisetwice'] = 'There is an {$a} in the files as well as in the text above: keep one of them.';
$string['export'] = 'Results export';
$string['export_csv'] = 'Download the results per student and per test (CSV)';
$string['export_json'] = 'Download the results per student and per test (JSON)';
$string['failurebody'] = '{$a->student}\'s submission to {$a->activity} could not be graded automatically: {$a->reason}.

{$a->detail}

The student has been told that you know. See the autograding state of the activity: {$a->url}';
$string['failuresubject'] = 'Autograding failed: {$a->student}, {$a->activity}';
$string['gradingpage'] = 'Autograding state';
$string['gradingpage_none'] = 'No student has submitted yet.';
$string['gradingstates'] = 'Autograding state of the latest submissions';
$string['history'] = 'Grade history';
$string['history_actor'] = 'By';
$string['history_desc'] = 'Everything the bridge did with this student\'s grade, oldest first: each score it computed, each grade it wrote to the gradebook, each grade of a teacher it found and left alone, and each regrade. The history is append-only: nothing in it is ever changed or removed.';
$string['history_event'] = 'What happened';
$string['history_graded'] = 'Graded by the bridge';
$string['history_image'] = 'Runner image';
$string['history_none'] = 'The bridge has no history for this submission.';
$string['history_other'] = 'Other';
$string['history_pushed'] = 'Grade written to the gradebook';
$string['history_regrade_started'] = 'Regrade started';
$string['history_teacher_override'] = 'Teacher\'s grade found and kept';
$string['history_version'] = 'Exercise version';
$string['invalidslot'] = 'This attempt has no question in that slot.';
$string['item'] = 'Submission or attempt';
$string['kind'] = 'Kind';
$string['lasterror'] = 'Last error';
$string['linkedquestions'] = 'Autograded questions';
$string['linkedquestions_desc'] = 'Link essay questions of this quiz to exercises, one exercise per question. A link follows the question (its question bank entry) through new versions and reordering. When a student finishes an attempt, the bridge runs each linked answer against its exercise and writes the mark and feedback as a manual grade; a mark a teacher gives by hand afterwards is never overwritten. Use the essay response format "Plain text, monospaced font". Questions that are not linked are left to the teacher.';
$string['markoutofrange'] = 'The mark must be between the question\'s minimum and its maximum mark ({$a}).';
$string['messageprovider:gradingfailed'] = 'A submission could not be graded automatically';
$string['nextattempt'] = 'Next try';
$string['noessays'] = 'This quiz has no essay questions to link. Add an essay question with the response format "Plain text, monospaced font".';
$string['notconfigured'] = 'The bridge URL, shared secret or site identifier is not configured.';
$string['passrates'] = 'Pass rate per test';
$string['passrates_none'] = 'No graded submissions yet.';
$string['passrates_passed'] = 'Students who passed';
$string['passrates_progress'] = 'Regrade in progress: {$a->graded} of {$a->total} graded. The pass rates count each student once regraded; they are complete when the regrade ends.';
$string['passrates_rate'] = 'Pass rate';
$string['pluginname'] = 'Moodle Bridge';
$string['privacy:historyunavailable'] = 'The bridge could not be asked for the grade history ({$a}). An administrator of the bridge can export it: GET /api/v1/sites/{site}/users/{user id}/history with the bridge\'s API key.';
$string['privacy:metadata:bridge'] = 'Submissions are sent to the Moodle Bridge to be graded automatically.';
$string['privacy:metadata:bridge:files'] = 'The files of the submission, which the bridge downloads through web services.';
$string['privacy:metadata:bridge:gradehistory'] = 'The history of the submission\'s grade: each score computed, grade written to the gradebook, teacher\'s grade found and regrade, with when, the exercise version and who caused it.';
$string['privacy:metadata:bridge:quizattempt'] = 'The answers of the quiz attempt, which the bridge reads through web services.';
$string['privacy:metadata:bridge:submission'] = 'The submission id, attempt number and online text of the submission.';
$string['privacy:metadata:bridge:timesubmitted'] = 'When the submission was made.';
$string['privacy:metadata:bridge:userid'] = 'The id of the user who owns the submission.';
$string['privacy:metadata:core_files'] = 'The exercise files teachers attach to an autograded assignment or quiz question, stored in the activity\'s context. They are teaching material, like an activity\'s description, not data about students: they are neither exported nor deleted per user.';
$string['privacy:metadata:failure'] = 'Submissions the bridge could not grade, told to the teachers.';
$string['privacy:metadata:failure:detail'] = 'The bridge\'s error text.';
$string['privacy:metadata:failure:reason'] = 'Why the submission could not be graded.';
$string['privacy:metadata:failure:timecreated'] = 'When the failure was recorded.';
$string['privacy:metadata:failure:userid'] = 'The user who owns the submission.';
$string['privacy:metadata:notification'] = 'Notifications waiting for, or acknowledged by, the bridge.';
$string['privacy:metadata:notification:itemid'] = 'The submission or quiz attempt id.';
$string['privacy:metadata:notification:kind'] = 'Whether it is an assignment submission or a quiz attempt.';
$string['privacy:metadata:notification:payload'] = 'The notification sent to the bridge.';
$string['privacy:metadata:notification:status'] = 'Whether the bridge has acknowledged it.';
$string['privacy:metadata:notification:timecreated'] = 'When the submission was made.';
$string['privacy:metadata:notification:userid'] = 'The user who owns the submission.';
$string['questionchanged'] = 'The question has changed since the bridge read it (for example, a teacher graded it by hand); the grade was not saved.';
$string['questionlinked'] = 'Grade this question automatically';
$string['questionlinked_help'] = 'The student\'s answer is run against the exercise\'s tests by the Moodle Bridge, which sets this question\'s mark (scaled to its maximum mark) and comment.';
$string['questionslot'] = 'Question in slot {$a->slot}: {$a->name}';
$string['quizsavefirst'] = 'Save the quiz and add its essay questions, then link them to exercises under Autograded questions.';
$string['reason_delivery_parked'] = 'the grade could not be written to the gradebook';
$string['reason_fetch_failed'] = 'the bridge could not read the submission from Moodle';
$string['reason_grading_failed'] = 'the tests could not be run (the exercise or the sandbox failed)';
$string['reason_no_exercise'] = 'no exercise is linked to the activity on the bridge';
$string['reason_rejected'] = 'the submission cannot be graded (for example, a required file is missing)';
$string['reason_unsupported'] = 'the bridge does not grade this kind of activity yet';
$string['refetch'] = 'Fetch again';
$string['refetch_done'] = 'The bridge fetches the submission of {$a} again: its state shows the progress.';
$string['refetch_failed'] = 'The bridge did not fetch the submission again: {$a}';
$string['refetch_waiting'] = 'The submission of {$a} is already waiting to be fetched again.';
$string['regrade'] = 'Regrade';
$string['regrade_aftersave'] = 'If you changed the tests, the submissions graded before can be graded again with the new version: <a href="{$a}">Autograding results</a>.';
$string['regrade_done'] = 'Last regrade with exercise version {$a->version}: {$a->changed} of {$a->total} scores changed.';
$string['regrade_done_kept'] = '{$a} grades set by a teacher were left alone.';
$string['regrade_done_kept_one'] = 'One grade set by a teacher was left alone.';
$string['regrade_moodle'] = 'In the gradebook';
$string['regrade_moodle_delivered'] = 'New grade written';
$string['regrade_moodle_parked'] = 'Could not be written (see the deliveries page of the bridge)';
$string['regrade_moodle_pending'] = 'Being written';
$string['regrade_moodle_refused'] = 'Not regraded (the files were refused)';
$string['regrade_moodle_superseded'] = 'A newer attempt replaced it';
$string['regrade_moodle_teacher_override'] = 'Teacher\'s grade kept';
$string['regrade_new'] = 'New score';
$string['regrade_nochange'] = 'No score changed.';
$string['regrade_offer'] = 'Grade every student\'s latest submission again with the newest exercise version. A grade a teacher set by hand is never overwritten.';
$string['regrade_offer_quiz'] = 'Grade every finished attempt\'s answer to this question again with its newest exercise version. A mark a teacher gave by hand is never overwritten.';
$string['regrade_old'] = 'Old score';
$string['regrade_progress'] = 'Regrading: {$a->graded} of {$a->total} graded. This page refreshes by itself.';
$string['regrade_question'] = 'Regrade question (bank entry {$a})';
$string['regrade_start'] = 'Regrade all latest submissions';
$string['regrade_start_quiz'] = 'Regrade every attempt of this question';
$string['regrade_started'] = 'The regrade has started.';
$string['resultspage'] = 'Autograding results';
$string['retrynow'] = 'Retry now';
$string['retryqueued'] = 'A new delivery has been queued.';
$string['score'] = 'Score';
$string['secret'] = 'Shared signing secret';
$string['secret_desc'] = 'Secret shared with the bridge. Every request is signed with HMAC-SHA256 over the timestamp and the body.';
$string['sendimmediately'] = 'Send submissions at once';
$string['sendimmediately_desc'] = 'Send the notification of a submission to the bridge as soon as the student\'s page has been answered, instead of waiting for cron. The ad-hoc task stays the retry path. Under PHP-FPM the page is complete before the bridge is called; under Apache mod_php or the PHP built-in server the browser\'s connection stays open for at most 2 seconds more.';
$string['siteid'] = 'Site identifier';
$string['siteid_desc'] = 'How the bridge knows this site (letters, digits, dot, dash, underscore; up to 64).';
$string['state_checking'] = 'Checking the autograding of your submission…';
$string['state_failed'] = 'Your submission could not be graded automatically. Your teacher has been told.';
$string['state_graded'] = 'Graded automatically: {$a->score} / {$a->maxscore} points. The grade ({$a->grade}) is in the gradebook.';
$string['state_graded_pending'] = 'Graded automatically: {$a->score} / {$a->maxscore} points. The grade is being written to the gradebook…';
$string['state_graded_teacher'] = 'Graded automatically: {$a->score} / {$a->maxscore} points. Your teacher set the grade in the gradebook.';
$string['state_notautograded'] = 'This activity is not graded automatically.';
$string['state_queued'] = 'Your submission is queued for autograding…';
$string['state_running'] = 'Your submission is being graded now…';
$string['state_unavailable'] = 'The autograder cannot be reached just now; your submission is safe and will be graded. Checking again shortly…';
$string['state_unknown'] = 'Your submission is on its way to the autograder…';
$string['status_invalid'] = 'The bridge refused the exercise';
$string['status_restored'] = 'Restored from a backup, imported or duplicated: not linked on the bridge yet. Save this form to send the exercise to the bridge.';
$string['status_unconfirmed'] = 'Sent before the plugin kept what the bridge confirmed it stored: save this form again to make sure the bridge has the exercise';
$string['status_unknown'] = 'Not checked yet';
$string['status_unreachable'] = 'The bridge could not be asked';
$string['status_valid'] = 'The bridge accepted the exercise';
$string['statuscounts'] = 'Pending: {$a->pending}. Acknowledged: {$a->acknowledged}.';
$string['statuspage'] = 'Moodle Bridge deliveries';
$string['student'] = 'Student';
$string['task_fetch_failures'] = 'Tell teachers of submissions the bridge could not grade';
$string['task_notify_bridge'] = 'Send a submission notification to the bridge';
$string['task_requeue_notifications'] = 'Requeue overdue notifications to the bridge';
$string['teacherstate_failed'] = 'Could not be graded: {$a->reason}';
$string['teacherstate_graded'] = 'Graded: {$a->score} / {$a->maxscore}, in the gradebook';
$string['teacherstate_graded_pending'] = 'Graded: {$a->score} / {$a->maxscore}, being written to the gradebook';
$string['teacherstate_graded_teacher'] = 'Graded: {$a->score} / {$a->maxscore}; the gradebook keeps a teacher\'s grade';
$string['teacherstate_notautograded'] = 'Not graded automatically';
$string['teacherstate_queued'] = 'Queued';
$string['teacherstate_running'] = 'Being graded';
$string['teacherstate_unavailable'] = 'The bridge cannot be reached';
$string['teacherstate_unknown'] = 'Nothing received by the bridge';
$string['test'] = 'Test';
$string['testconnection'] = 'Test connection with the bridge';
$string['testconnection_button'] = 'Test connection';
$string['testconnection_desc'] = 'The bridge checks the other way itself: run "bridge check-moodle" on the bridge to test its web service token and functions (README.md, "Connect check").';
$string['testconnection_jwks'] = 'Moodle reads the bridge\'s public keys at {$a->url} ({$a->count} keys). Set this address as the JWKS URL of the JWT SSO authentication plugin.';
$string['testconnection_jwks_one'] = 'Moodle reads the bridge\'s public keys at {$a->url} (1 key). Set this address as the JWKS URL of the JWT SSO authentication plugin.';
$string['testconnection_jwksdiffers'] = 'The bridge publishes its keys at {$a->url}, but the JWKS URL of the JWT single sign-on plugin (auth_jwtsso) is {$a->configured}: sign-ins from the bridge will fail until it is set to {$a->url}.';
$string['testconnection_jwksfailed'] = 'Moodle could not read the bridge\'s public keys at {$a->url}: {$a->error}.';
$string['testconnection_jwksunset'] = 'The JWKS URL of the JWT single sign-on plugin (auth_jwtsso) is not set: set it to {$a->url} for sign-ins from the bridge.';
$string['testconnection_signed'] = 'The bridge accepts this site\'s signed requests (bridge {$a}): the bridge URL, site identifier and shared secret agree.';
$string['testconnection_signedfailed'] = 'The bridge refused or did not answer a signed request: {$a}';
$string['toomanyquestions'] = 'More than {$a} questions of this attempt are linked to exercises.';
