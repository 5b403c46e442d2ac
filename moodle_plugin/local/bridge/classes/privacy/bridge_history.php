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

namespace local_bridge\privacy;

use core_privacy\local\request\writer;
use local_bridge\local\teacher_requests;

/**
 * The user's grade history kept by the bridge, fetched for a privacy export (issue 13).
 *
 * The bridge keeps an append-only history per submission (every score computed, grade pushed,
 * teacher's grade found and regrade). The export asks the bridge for the user's history in each
 * exported activity through the signed /api/v1/intake/history. When the bridge cannot be asked,
 * the export says so and how an operator obtains it (GET /api/v1/sites/{site}/users/{user}/history
 * with the bridge's API key); see README.md, "Privacy".
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class bridge_history {
    /**
     * Write the user's bridge history of one activity into the export.
     *
     * @param \context_module $context the activity's context
     * @param int $userid the user
     */
    public static function export(\context_module $context, int $userid): void {
        $subcontext = [get_string('pluginname', 'local_bridge'), get_string('history', 'local_bridge')];
        try {
            $entries = teacher_requests::client(20)->history($userid, (int) $context->instanceid);
        } catch (\Throwable $e) {
            writer::with_context($context)->export_data($subcontext, (object) [
                'unavailable' => get_string('privacy:historyunavailable', 'local_bridge', $e->getMessage()),
            ]);
            return;
        }
        if ($entries) {
            writer::with_context($context)->export_data($subcontext, (object) ['history' => $entries]);
        }
    }
}
