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
 * An exercise as the Autograding section sends it: the exercise.yaml typed in, and its files.
 *
 * The files come from the section's file manager, by path. One zip alone there is the exercise
 * folder, sent unopened as "archive": the bridge is the one place that inflates it, with its
 * bounds, so a zip bomb never expands in Moodle. Anything else is sent file by file. Without
 * files the upload is schema 1 (exercise.yaml alone), byte for byte as before.
 *
 * Checked here so the teacher hears at once, and checked again by the bridge: at most
 * {@see self::MAX_FILES} files and {@see self::MAX_BYTES} in all (so that the base64 body
 * stays under the bridge's 2 MiB), relative paths without "..", backslashes or NUL bytes.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class exercise_package {
    /** @var int most files an exercise may have (the bridge's exercise_max_files) */
    public const MAX_FILES = 100;
    /** @var int bytes of exercise.yaml and files together, before base64 */
    public const MAX_BYTES = 1536 * 1024;
    /** @var int longest path of a file (the bridge's limit) */
    public const MAX_PATH = 200;
    /** @var string the exercise's description, which the form's text stands for */
    public const SPEC_FILE = 'exercise.yaml';

    /**
     * Constructor; use {@see self::from()}.
     *
     * @param string|null $exerciseyaml the text typed in the form, null when empty
     * @param array $files path => content, sent one by one
     * @param string|null $archive a zip of the exercise folder, sent unopened
     */
    private function __construct(
        /** @var string|null the text typed in the form, null when empty */
        public readonly ?string $exerciseyaml,
        /** @var array path => content, sent one by one */
        public readonly array $files,
        /** @var string|null a zip of the exercise folder, sent unopened */
        public readonly ?string $archive,
    ) {
    }

    /**
     * Check and pack what the teacher gave.
     *
     * @param string $exerciseyaml the form's exercise.yaml text ('' when left empty)
     * @param array $files path => content from the file area (directories left out)
     * @return self
     * @throws package_refused naming the rule broken
     */
    public static function from(string $exerciseyaml, array $files): self {
        $exerciseyaml = trim($exerciseyaml) === '' ? null : $exerciseyaml;
        if ($exerciseyaml === null && !$files) {
            throw new package_refused('exerciserequired');
        }
        if (count($files) > self::MAX_FILES) {
            throw new package_refused('exercisetoomanyfiles', (string) self::MAX_FILES);
        }
        $total = strlen((string) $exerciseyaml);
        foreach ($files as $path => $content) {
            self::check_path((string) $path);
            if ($exerciseyaml !== null && (string) $path === self::SPEC_FILE) {
                throw new package_refused('exercisetwice', self::SPEC_FILE);
            }
            $total += strlen($content);
        }
        if ($total > self::MAX_BYTES) {
            throw new package_refused('exercisefilestoolarge', (string) self::MAX_BYTES);
        }
        $paths = array_map('strval', array_keys($files));
        if (count($files) === 1 && preg_match('/\.zip$/i', $paths[0])) {
            return new self($exerciseyaml, [], (string) reset($files));
        }
        return new self($exerciseyaml, $files, null);
    }

    /**
     * The upload's schema: 1 for exercise.yaml alone, 2 with files.
     *
     * @return int
     */
    public function schema(): int {
        return $this->files || $this->archive !== null ? 2 : 1;
    }

    /**
     * The upload's exercise fields, in this order: exercise_yaml, files (path => base64), archive.
     *
     * @return array
     */
    public function fields(): array {
        $fields = [];
        if ($this->exerciseyaml !== null) {
            $fields['exercise_yaml'] = $this->exerciseyaml;
        }
        if ($this->files) {
            $files = $this->files;
            ksort($files, SORT_STRING);
            $fields['files'] = array_map('base64_encode', $files);
        }
        if ($this->archive !== null) {
            $fields['archive'] = base64_encode($this->archive);
        }
        return $fields;
    }

    /**
     * Refuse a path that could leave the exercise folder or that the bridge cannot store.
     *
     * @param string $path relative path in the file area
     * @throws package_refused
     */
    private static function check_path(string $path): void {
        $parts = explode('/', $path);
        if (
            $path === '' || $path[0] === '/' || str_contains($path, '\\') || str_contains($path, "\0")
            || in_array('..', $parts, true) || strlen($path) > self::MAX_PATH
        ) {
            throw new package_refused('exercisebadpath', $path);
        }
    }
}
