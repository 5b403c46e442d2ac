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
 * What the bridge said about an exercise a teacher attached.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class exercise_verdict {
    /** @var string the bridge accepted the exercise */
    public const VALID = 'valid';
    /** @var string the bridge refused the exercise; message holds its exact error */
    public const INVALID = 'invalid';
    /** @var string the bridge could not be asked, or answered something unexpected */
    public const UNREACHABLE = 'unreachable';

    /**
     * Constructor.
     *
     * @param string $status one of the constants
     * @param string $message the bridge's words (or the transport error)
     * @param int|null $version the exercise version the bridge grades with after an accepted upload
     */
    public function __construct(
        /** @var string one of the constants */
        public readonly string $status,
        /** @var string the bridge's words (or the transport error) */
        public readonly string $message,
        /** @var int|null the exercise version the bridge grades with after an accepted upload */
        public readonly ?int $version = null,
    ) {
    }
}
