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
 * Puts the students' names (and identity fields) beside user_id in one page of the bridge's
 * results export, as Moodle streams the download (pure: the people are looked up by the caller).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class export_people {
    /** @var string the bridge's first column */
    public const USER_ID = 'user_id';

    /**
     * The user ids a CSV page names (rows whose first cell is a number).
     *
     * @param string $csv one page of the bridge's CSV
     * @return int[]
     */
    public static function csv_user_ids(string $csv): array {
        $ids = [];
        foreach (self::csv_rows($csv) as $row) {
            if (ctype_digit((string) ($row[0] ?? ''))) {
                $ids[(int) $row[0]] = (int) $row[0];
            }
        }
        return array_values($ids);
    }

    /**
     * The page with the columns inserted after user_id: their names in a header row, each
     * student's values (neutralised as the bridge neutralises its own cells) in the others.
     *
     * @param string $csv one page of the bridge's CSV (CRLF rows, a header on the first page)
     * @param array $people user id => [column => value]
     * @param string[] $columns the inserted columns, in order
     * @return string the page, CRLF rows
     */
    public static function csv_page(string $csv, array $people, array $columns): string {
        $out = '';
        foreach (self::csv_rows($csv) as $row) {
            $first = (string) ($row[0] ?? '');
            if ($first === self::USER_ID) {
                $insert = $columns;
            } else {
                $person = ctype_digit($first) ? ($people[(int) $first] ?? []) : [];
                $insert = array_map(static fn(string $c): string => self::cell((string) ($person[$c] ?? '')), $columns);
            }
            array_splice($row, 1, 0, $insert);
            $out .= implode(',', array_map([self::class, 'quote'], $row)) . "\r\n";
        }
        return $out;
    }

    /**
     * JSON students with the columns as keys after user_id (JSON needs no neutralising).
     *
     * @param array $students the bridge's students of one page
     * @param array $people user id => [column => value]
     * @param string[] $columns the inserted keys, in order
     * @return array
     */
    public static function json_students(array $students, array $people, array $columns): array {
        $result = [];
        foreach ($students as $student) {
            $person = $people[(int) ($student[self::USER_ID] ?? 0)] ?? [];
            $added = [];
            foreach ($columns as $column) {
                $added[$column] = (string) ($person[$column] ?? '');
            }
            $result[] = [self::USER_ID => $student[self::USER_ID] ?? null] + $added + $student;
        }
        return $result;
    }

    /**
     * A cell a spreadsheet would run as a formula, made text (the bridge's rule).
     *
     * @param string $text the value
     * @return string
     */
    public static function cell(string $text): string {
        return in_array(substr($text, 0, 1), ['=', '+', '-', '@', "\t", "\r"], true) ? "'" . $text : $text;
    }

    /**
     * The rows of a CSV text, quoted cells with line breaks kept whole.
     *
     * @param string $csv the text
     * @return array[]
     */
    private static function csv_rows(string $csv): array {
        $stream = fopen('php://temp', 'r+');
        fwrite($stream, $csv);
        rewind($stream);
        $rows = [];
        while (($row = fgetcsv($stream, null, ',', '"', '')) !== false) {
            if ($row !== [null]) {
                $rows[] = $row;
            }
        }
        fclose($stream);
        return $rows;
    }

    /**
     * One cell quoted as Python's csv module quotes it (only when it must be).
     *
     * @param mixed $cell the cell
     * @return string
     */
    private static function quote(mixed $cell): string {
        $text = (string) $cell;
        return strpbrk($text, ",\"\r\n") === false ? $text : '"' . str_replace('"', '""', $text) . '"';
    }
}
