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

namespace local_bridge\local;

use local_bridge\http_response;

/**
 * {@see \local_bridge\http_transport} on core's \curl, so Moodle's proxy and cURL security settings apply.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class curl_transport implements \local_bridge\http_transport {
    /**
     * Constructor.
     *
     * @param int $timeout total seconds a request may take
     * @param int $connecttimeout seconds allowed to connect
     */
    public function __construct(
        /** @var int total seconds a request may take */
        private readonly int $timeout = 20,
        /** @var int seconds allowed to connect */
        private readonly int $connecttimeout = 5,
    ) {
    }

    /**
     * POST a body.
     *
     * @param string $url URL
     * @param array $headers headers
     * @param string $body body
     * @return http_response
     */
    public function post(string $url, array $headers, string $body): http_response {
        global $CFG;
        require_once($CFG->libdir . '/filelib.php');

        $curl = new \curl();
        foreach ($headers as $name => $value) {
            $curl->setHeader("{$name}: {$value}");
        }
        $options = ['CURLOPT_TIMEOUT' => $this->timeout, 'CURLOPT_CONNECTTIMEOUT' => $this->connecttimeout];
        $response = $curl->post($url, $body, $options);
        $status = (int) ($curl->get_info()['http_code'] ?? 0);
        if ($curl->get_errno() || $status === 0) {
            // A URL refused by cURL security ("The URL is blocked.") also ends here.
            throw new \RuntimeException(trim($curl->error ?: (string) $response) ?: 'No response from the bridge');
        }
        return new http_response($status, (string) $response);
    }
}
