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
 * Authentication plugin: single sign-on with short-lived JWTs issued by the Moodle Bridge.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once($CFG->libdir . '/authlib.php');

/**
 * Logs users in with a signed token posted by the bridge; never knows a password.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class auth_plugin_jwtsso extends auth_plugin_base {
    /** @var \auth_jwtsso\token_validator_interface|null validator, replaceable in tests */
    protected ?\auth_jwtsso\token_validator_interface $validator = null;

    /** @var \auth_jwtsso\user_mapper|null mapper, replaceable in tests */
    protected ?\auth_jwtsso\user_mapper $mapper = null;

    /**
     * Constructor.
     */
    public function __construct() {
        $this->authtype = 'jwtsso';
        $this->config = get_config('auth_jwtsso');
    }

    /**
     * Passwords are never accepted: the only way in is a token.
     *
     * @param string $username the username
     * @param string $password the password
     * @return bool always false
     */
    public function user_login($username, $password) {
        return false;
    }

    /**
     * No local password is ever stored for these accounts.
     *
     * @return bool
     */
    public function prevent_local_passwords() {
        return true;
    }

    /**
     * Users are authenticated by the bridge, not by Moodle.
     *
     * @return bool
     */
    public function is_internal() {
        return false;
    }

    /**
     * Passwords are changed at the bridge.
     *
     * @return bool
     */
    public function can_change_password() {
        return false;
    }

    /**
     * Passwords are reset at the bridge.
     *
     * @return bool
     */
    public function can_reset_password() {
        return false;
    }

    /**
     * Administrators may give existing accounts this auth method.
     *
     * @return bool
     */
    public function can_be_manually_set() {
        return true;
    }

    /**
     * A link to sign in at the bridge on Moodle's login page, when configured.
     *
     * @param string $wantsurl the page the user wanted
     * @return array
     */
    public function loginpage_idp_list($wantsurl) {
        if (empty($this->config->bridgeloginurl)) {
            return [];
        }
        return [[
            'url' => new moodle_url($this->config->bridgeloginurl),
            'icon' => new pix_icon('i/user', ''),
            'name' => get_string('signinatbridge', 'auth_jwtsso'),
        ]];
    }

    /**
     * Validate a token, map it to a user, log the user in and say where to go.
     *
     * @param string $token the compact JWT posted by the bridge
     * @return moodle_url where the user lands
     * @throws \auth_jwtsso\invalid_token_exception|\auth_jwtsso\mapping_exception
     */
    public function login_with_token(string $token): moodle_url {
        global $CFG;
        require_once($CFG->dirroot . '/login/lib.php');

        $claims = $this->get_validator()->validate($token);
        $target = $this->get_mapper()->map($claims);
        complete_user_login($target->user);
        if ($target->courseid !== null) {
            return new moodle_url('/course/view.php', ['id' => $target->courseid]);
        }
        return new moodle_url(core_login_get_return_url());
    }

    /**
     * The token validator configured from the plugin settings.
     *
     * @return \auth_jwtsso\token_validator_interface
     */
    protected function get_validator(): \auth_jwtsso\token_validator_interface {
        global $CFG;
        if ($this->validator === null) {
            $this->validator = new \auth_jwtsso\token_validator(
                new \auth_jwtsso\local\cached_jwks_provider((string) ($this->config->jwksurl ?? '')),
                new \auth_jwtsso\local\db_jti_store(),
                trim((string) ($this->config->issuer ?? '')),
                trim((string) (($this->config->audience ?? '') ?: $CFG->wwwroot)),
                max(0, min(300, (int) ($this->config->leeway ?? 30))),
            );
        }
        return $this->validator;
    }

    /**
     * The user mapper configured from the plugin settings.
     *
     * @return \auth_jwtsso\user_mapper
     */
    protected function get_mapper(): \auth_jwtsso\user_mapper {
        if ($this->mapper === null) {
            $this->mapper = new \auth_jwtsso\user_mapper(
                new \auth_jwtsso\local\moodle_user_store(),
                (string) ($this->config->mapfield ?? 'username'),
                !empty($this->config->autocreate),
                !empty($this->config->allowtakeover),
                $this->authtype,
            );
        }
        return $this->mapper;
    }
}
