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

namespace local_bridge;

/**
 * What the results page says about a regrade and the pass rates (pure: no Moodle calls).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class results_summary {
    /**
     * The string naming the teachers' grades a regrade kept, by number, null when there were none.
     *
     * @param int $kept grades set by a teacher that the regrade left alone
     * @return string|null a local_bridge string id (its $a is the number)
     */
    public static function kept_string(int $kept): ?string {
        if ($kept <= 0) {
            return null;
        }
        return $kept === 1 ? 'regrade_done_kept_one' : 'regrade_done_kept';
    }

    /**
     * The progress of the first regrade still running among the page's regrades, or null.
     *
     * The bridge counts a student in the pass rates once graded, so while a regrade regrades
     * them its rates are partial or empty: the page says how far the regrade is instead of
     * "No graded submissions yet".
     *
     * @param array $reports the page's regrade reports (null where an activity or question has none)
     * @return array|null graded and total, summed over the running regrades
     */
    public static function running_progress(array $reports): ?array {
        $graded = 0;
        $total = 0;
        $running = false;
        foreach ($reports as $report) {
            if (!is_array($report) || !empty($report['done'])) {
                continue;
            }
            $running = true;
            $total += (int) ($report['total'] ?? 0);
            $graded += (int) ($report['total'] ?? 0) - (int) ($report['pending'] ?? 0);
        }
        return $running ? ['graded' => max(0, $graded), 'total' => $total] : null;
    }
}
