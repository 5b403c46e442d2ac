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

namespace auth_jwtsso;

/**
 * A token was refused; {@see self::$reason} is a short machine word (see tests/vectors/README.md).
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class invalid_token_exception extends \RuntimeException {
    /** @var string why the token was refused, e.g. expired, unknown_kid, replayed_jti */
    public readonly string $reason;

    /**
     * Constructor.
     *
     * @param string $reason machine word
     * @param string $detail human readable detail for logs (never contains the token)
     * @param \Throwable|null $previous underlying error
     */
    public function __construct(string $reason, string $detail = '', ?\Throwable $previous = null) {
        $this->reason = $reason;
        parent::__construct($detail === '' ? $reason : "{$reason}: {$detail}", 0, $previous);
    }
}
