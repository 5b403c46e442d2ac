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
 * A student's essay response as the plain text a sandbox runs, bounded in size.
 *
 * Works on the stored `answer` and `answerformat` question-type variables, so it runs without
 * Moodle; the HTML-to-text conversion is handed in (Moodle's html_to_text() on a site).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class quiz_response {
    /** @var int largest response handed to the bridge, in bytes of UTF-8 */
    public const MAX_BYTES = 262144;
    /** @var int FORMAT_MOODLE */
    private const FORMAT_MOODLE = 0;
    /** @var int FORMAT_HTML */
    private const FORMAT_HTML = 1;

    /**
     * Constructor.
     *
     * @param string $text the response as plain text, at most MAX_BYTES
     * @param int $format the answerformat it was stored in (FORMAT_PLAIN for plain and monospaced)
     * @param int $bytes size of the whole plain text, before any cut
     * @param bool $truncated whether $text is only the start of the response
     */
    public function __construct(
        /** @var string the response as plain text, at most MAX_BYTES */
        public readonly string $text,
        /** @var int the answerformat it was stored in */
        public readonly int $format,
        /** @var int size of the whole plain text, before any cut */
        public readonly int $bytes,
        /** @var bool whether $text is only the start of the response */
        public readonly bool $truncated,
    ) {
    }

    /**
     * Build the plain text of a stored response.
     *
     * Plain and monospaced responses (FORMAT_PLAIN) and Markdown are taken as typed; editor
     * responses (HTML, Moodle auto-format) go through $htmltotext. Line ends become "\n" (a
     * browser's textarea sends "\r\n", which a Python or shell program must not see), and a
     * response over MAX_BYTES is cut on a character boundary and flagged, never silently.
     *
     * @param string|null $answer the `answer` variable, null when the student wrote nothing
     * @param int|string|null $format the `answerformat` variable
     * @param \Closure $htmltotext converts HTML to plain text: fn(string): string
     * @param int $maxbytes limit, MAX_BYTES unless a test says otherwise
     * @return self
     */
    public static function from_stored(
        ?string $answer,
        int|string|null $format,
        \Closure $htmltotext,
        int $maxbytes = self::MAX_BYTES
    ): self {
        $format = (int) ($format ?? 2);
        $text = (string) $answer;
        if ($format === self::FORMAT_HTML || $format === self::FORMAT_MOODLE) {
            $text = (string) $htmltotext($text);
        }
        $text = str_replace(["\r\n", "\r"], "\n", $text);
        if (!mb_check_encoding($text, 'UTF-8')) {
            $text = mb_convert_encoding($text, 'UTF-8', 'UTF-8');
        }
        $bytes = strlen($text);
        if ($bytes <= $maxbytes) {
            return new self($text, $format, $bytes, false);
        }
        return new self(mb_strcut($text, 0, $maxbytes, 'UTF-8'), $format, $bytes, true);
    }
}
