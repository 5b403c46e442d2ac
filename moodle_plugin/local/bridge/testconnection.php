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
 * Test connection: does the bridge accept this site's signature, and can Moodle read its JWKS?
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/adminlib.php');
require_once($CFG->libdir . '/filelib.php');

use local_bridge\local\teacher_requests;

admin_externalpage_setup('local_bridge_testconnection');

$checks = [];
$jwksurl = '';
try {
    $pong = teacher_requests::client(10)->ping();
    $checks[] = [true, get_string('testconnection_signed', 'local_bridge', s($pong['bridge_version'] ?? '?'))];
    $jwksurl = (string) $pong['jwks_url'];
} catch (\RuntimeException | \InvalidArgumentException $e) {
    $checks[] = [false, get_string('testconnection_signedfailed', 'local_bridge', s($e->getMessage()))];
}
if ($jwksurl !== '') {
    // Fetched as auth_jwtsso fetches it: with core's curl, so the same HTTP security settings apply.
    $curl = new curl();
    $body = $curl->get($jwksurl, [], ['CURLOPT_TIMEOUT' => 10, 'CURLOPT_CONNECTTIMEOUT' => 5]);
    $status = (int) ($curl->get_info()['http_code'] ?? 0);
    $keys = json_decode((string) $body, true)['keys'] ?? null;
    $a = (object) ['url' => s($jwksurl), 'count' => is_array($keys) ? count($keys) : 0,
        'error' => s($curl->error ?: "HTTP {$status}")];
    $checks[] = is_array($keys) && $keys && $status === 200
        ? [true, get_string($a->count === 1 ? 'testconnection_jwks_one' : 'testconnection_jwks', 'local_bridge', $a)]
        : [false, get_string('testconnection_jwksfailed', 'local_bridge', $a)];
    // Sign-in verifies tokens with the keys at auth_jwtsso's own setting, not at this answer's address.
    $configured = trim((string) get_config('auth_jwtsso', 'jwksurl'));
    $a->configured = s($configured);
    if ($configured === '') {
        $checks[] = ['warning', get_string('testconnection_jwksunset', 'local_bridge', $a)];
    } else if (!\local_bridge\jwks_address::same($configured, $jwksurl)) {
        $checks[] = ['warning', get_string('testconnection_jwksdiffers', 'local_bridge', $a)];
    }
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('testconnection', 'local_bridge'));
foreach ($checks as [$ok, $message]) {
    echo $OUTPUT->notification($message, $ok === 'warning' ? 'warning' : ($ok ? 'success' : 'error'), false);
}
echo html_writer::tag('p', get_string('testconnection_desc', 'local_bridge'));
echo $OUTPUT->footer();
