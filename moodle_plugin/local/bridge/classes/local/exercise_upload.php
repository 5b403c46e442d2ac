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

namespace local_bridge\local;

use local_bridge\bridge_client;
use local_bridge\exercise_package;
use local_bridge\exercise_verdict;
use local_bridge\package_refused;
use local_bridge\upload_receipt;

/**
 * Send an activity's or a question's exercise unless the bridge already accepted this very upload.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class exercise_upload {
    /**
     * Send the upload when it must be, and write the verdict and accepted hash into the row.
     *
     * Switched off, the accepted hash is forgotten, so switching on again sends the exercise.
     *
     * @param \stdClass $row local_bridge_activity or local_bridge_question row (changed here)
     * @param bool $enabled graded by the bridge
     * @param string $exercise exercise.yaml text
     * @param array $activity course_id, cmid, kind, instance_id (the site is added here)
     * @param array $files the exercise's other files, path => content
     * @param array|null $question the question's identity, null for a whole activity
     * @return exercise_verdict|null the bridge's verdict, null when not asked
     */
    public static function send(
        \stdClass $row,
        bool $enabled,
        string $exercise,
        array $activity,
        array $files,
        ?array $question
    ): ?exercise_verdict {
        if (!$enabled) {
            $row->acceptedhash = null;
            return null;
        }
        $verdict = null;
        $hash = null;
        try {
            $activity = ['site' => (string) get_config('local_bridge', 'siteid')] + $activity;
            $body = bridge_client::exercise_body($activity, exercise_package::from($exercise, $files), $question);
            $hash = upload_receipt::hash($body);
            if (!upload_receipt::must_send(true, $row->acceptedhash ?? null, $hash)) {
                return null;
            }
            $verdict = outbox::client()->submit_exercise_body($body);
        } catch (package_refused $e) {
            $verdict = new exercise_verdict(exercise_verdict::INVALID, exercise_files::message($e));
        } catch (\InvalidArgumentException $e) {
            $verdict = new exercise_verdict(exercise_verdict::UNREACHABLE, get_string('notconfigured', 'local_bridge'));
        }
        $row->acceptedhash = $hash === null ? null : upload_receipt::after($verdict, $hash);
        $row->bridgestatus = $verdict->status;
        $row->bridgemessage = $verdict->message;
        return $verdict;
    }
}
