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

namespace local_bridge\task;

use local_bridge\local\failure_notices;
use local_bridge\local\outbox;

/**
 * Scheduled task: ask the bridge which submissions could not be graded, and tell their teachers.
 *
 * Reads the bridge's /failures list from the time it reached last (config `failuresince`); the
 * time moves on only after every failure up to it is recorded, and a failure listed again is
 * recognised by its id, so a run that breaks off half way loses nothing and repeats nothing.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class fetch_failures extends \core\task\scheduled_task {
    /** @var int how far back the first run looks */
    private const FIRST_LOOKBACK = 7 * 86400;
    /** @var int most pages read in one run */
    private const MAX_PAGES = 10;

    /**
     * Task name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('task_fetch_failures', 'local_bridge');
    }

    /**
     * Read and record.
     */
    public function execute() {
        $since = (int) get_config('local_bridge', 'failuresince') ?: time() - self::FIRST_LOOKBACK;
        $site = (string) get_config('local_bridge', 'siteid');
        $client = outbox::client(10, 5);
        $new = 0;
        for ($page = 0; $page < self::MAX_PAGES; $page++) {
            $answer = $client->failures($site, $since, 100);
            foreach ($answer['failures'] as $failure) {
                if (is_array($failure) && failure_notices::record($failure)) {
                    $new++;
                }
            }
            $since = max($since, $answer['next_since']);
            set_config('failuresince', $since, 'local_bridge');
            if (!$answer['more']) {
                break;
            }
        }
        mtrace("local_bridge: {$new} new grading failures told to teachers");
    }
}
