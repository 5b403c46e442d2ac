#!/usr/bin/env bash
# Lint every PHP file of the Moodle plugins (the vendored PHP-JWT copy excluded) and run their
# pure-logic PHPUnit tests. Exits non-zero on any lint error, test failure or warning.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

for tool in php phpunit; do
    command -v "$tool" >/dev/null || { echo "check-php: $tool is not installed" >&2; exit 2; }
done

count=0
failed=0
while IFS= read -r -d '' file; do
    count=$((count + 1))
    if ! output=$(php -d display_errors=1 -d error_reporting=-1 -l "$file" 2>&1); then
        echo "$output" >&2
        failed=$((failed + 1))
    elif grep -qiE 'warning|deprecated' <<<"$output"; then
        echo "$output" >&2
        failed=$((failed + 1))
    fi
done < <(find moodle_plugin -name '*.php' -not -path 'moodle_plugin/tests/vendor/*' -print0 | sort -z)

echo "check-php: linted $count PHP files, $failed with problems"
[ "$failed" -eq 0 ] || exit 1

phpunit --do-not-cache-result -c moodle_plugin/phpunit.xml
