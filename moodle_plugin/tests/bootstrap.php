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
 * Bootstrap for the plugins' pure-logic PHPUnit tests, run without a Moodle site.
 *
 * Maps the plugins' namespaces onto their classes/ folders and Firebase\JWT onto the vendored
 * copy of firebase/php-jwt 6.11.0 (the version Moodle 5.0 ships in lib/php-jwt).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('MOODLE_INTERNAL', true);
define('BRIDGE_PLUGIN_ROOT', dirname(__DIR__));
define('BRIDGE_VECTORS_DIR', dirname(BRIDGE_PLUGIN_ROOT) . '/tests/vectors');

spl_autoload_register(static function (string $class): void {
    $prefixes = [
        'auth_jwtsso\\' => BRIDGE_PLUGIN_ROOT . '/auth/jwtsso/classes/',
        'local_bridge\\' => BRIDGE_PLUGIN_ROOT . '/local/bridge/classes/',
        'Firebase\\JWT\\' => __DIR__ . '/vendor/php-jwt/src/',
    ];
    foreach ($prefixes as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require_once($file);
            }
            return;
        }
    }
});

/**
 * Read one of the shared vector files.
 *
 * @param string $name file name in tests/vectors
 * @return array decoded JSON
 */
function bridge_test_vectors(string $name): array {
    $json = file_get_contents(BRIDGE_VECTORS_DIR . '/' . $name);
    if ($json === false) {
        throw new RuntimeException("Cannot read vector file {$name}");
    }
    return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
}
