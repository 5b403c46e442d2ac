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
 * Whether an exercise upload must be sent, from the hash of the last one the bridge accepted.
 *
 * A save sends whenever its upload differs from the one the bridge last accepted for this
 * activity or question, or no upload of it was ever accepted (the bridge was down, refused it,
 * or answered a 2xx without storing it): unchanged content is sent again until the bridge has
 * said it holds it, and the bridge keeps the same version for unchanged files, so sending again
 * is harmless. The hash is of the exact signed body, so the site, course module, question and
 * every file take part.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class upload_receipt {
    /** @var string shown instead of "accepted" when no accepted upload of the content is on record */
    public const UNCONFIRMED = 'unconfirmed';

    /**
     * The hash of an upload body, as kept in acceptedhash.
     *
     * @param string $body the JSON body from {@see bridge_client::exercise_body()}
     * @return string 64 hex characters
     */
    public static function hash(string $body): string {
        return hash('sha256', $body);
    }

    /**
     * Whether a save must send its upload.
     *
     * @param bool $enabled autograding (or the question's link) is on
     * @param string|null $acceptedhash hash of the upload the bridge last accepted, null if none
     * @param string $hash hash of the upload this save would send
     * @return bool
     */
    public static function must_send(bool $enabled, ?string $acceptedhash, string $hash): bool {
        return $enabled && ($acceptedhash === null || $acceptedhash === '' || !hash_equals($acceptedhash, $hash));
    }

    /**
     * The acceptedhash to keep after the bridge answered an upload.
     *
     * @param exercise_verdict $verdict what the bridge answered
     * @param string $hash hash of the upload sent
     * @return string|null the hash when the bridge accepted it; null otherwise (the next save sends again)
     */
    public static function after(exercise_verdict $verdict, string $hash): ?string {
        return $verdict->status === exercise_verdict::VALID ? $hash : null;
    }

    /**
     * The status a teacher is shown for a stored row.
     *
     * A row saved "valid" by a plugin version that kept no hash never had the bridge confirm it
     * stored the content (an old bridge answered 2xx to question links it did not keep): it is
     * shown as unconfirmed until a save sends it again.
     *
     * @param string $bridgestatus the row's bridgestatus
     * @param string|null $acceptedhash the row's acceptedhash
     * @return string a status_* string suffix
     */
    public static function shown_status(string $bridgestatus, ?string $acceptedhash): string {
        if ($bridgestatus === exercise_verdict::VALID && ($acceptedhash === null || $acceptedhash === '')) {
            return self::UNCONFIRMED;
        }
        return $bridgestatus;
    }
}
