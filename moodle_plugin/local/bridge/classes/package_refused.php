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
 * An exercise the form cannot send: which rule, as a local_bridge string id and its value.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class package_refused extends \RuntimeException {
    /**
     * Constructor.
     *
     * @param string $stringid local_bridge string naming the rule
     * @param string $a the value the string shows (a path, a limit)
     */
    public function __construct(
        /** @var string local_bridge string naming the rule */
        public readonly string $stringid,
        /** @var string the value the string shows (a path, a limit) */
        public readonly string $a = '',
    ) {
        parent::__construct($stringid . ($a !== '' ? ": {$a}" : ''));
    }
}
