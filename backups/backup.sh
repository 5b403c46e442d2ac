#!/usr/bin/env bash
# Back up the bridge's and Moodle's databases and their files into one dated set.
#
# A set is a directory BACKUP_DIR/daily/<UTC stamp>/ holding one custom-format dump per
# database (pg_dump -Fc), a tarball per file tree, a MANIFEST and SHA256SUMS. It is written
# under a hidden name and renamed only when complete, so a set that exists is whole. The first set
# of each ISO week and of each month is hard-linked into weekly/ and monthly/, then each tier
# keeps its newest N sets. On success and on failure a Prometheus textfile is rewritten for
# node-exporter, so a failed or stale backup raises an alert.
#
# Configuration, all from the environment (the same in the compose `backup` service and tests):
#   BACKUP_DATABASES      space-separated LABEL=TARGET; TARGET is a database name (connection
#                         from PGHOST/PGPORT/PGUSER) or a libpq URI without a password.
#                         The password is PGPASSWORD_<LABEL> (upper case) or else PGPASSWORD.
#   BACKUP_DIR            where sets are written (required)
#   MOODLEDATA_DIR        Moodle's data directory (optional; caches and sessions are skipped)
#   BRIDGE_FILES_DIR      the bridge's stored files (optional)
#   BACKUP_KEEP_DAILY / BACKUP_KEEP_WEEKLY / BACKUP_KEEP_MONTHLY   defaults 7 / 4 / 6
#   BACKUP_AGE_RECIPIENTS age public keys (space-separated) or BACKUP_AGE_RECIPIENTS_FILE:
#                         encrypt every artefact. Only the public key lives on the server; the
#                         identity needed to restore is kept elsewhere.
#   BACKUP_METRICS_DIR    node-exporter textfile directory (optional)
#   BACKUP_NOW            Unix time to stamp the set with (default: now; tests pin it)
set -Eeuo pipefail
umask 077

: "${BACKUP_DIR:?BACKUP_DIR must name the backup directory}"
: "${BACKUP_DATABASES:?BACKUP_DATABASES must list LABEL=DATABASE pairs}"
keep_daily=${BACKUP_KEEP_DAILY:-7}
keep_weekly=${BACKUP_KEEP_WEEKLY:-4}
keep_monthly=${BACKUP_KEEP_MONTHLY:-6}
metrics_dir=${BACKUP_METRICS_DIR:-}
started=$(date +%s)
now=${BACKUP_NOW:-$started}
stamp=$(date -u -d "@$now" +%Y-%m-%dT%H%M%SZ)
work=""

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# Rewrite the textfile atomically; keep the last success time across failed runs.
write_metrics() {
    local success=$1 size=$2
    [[ -n $metrics_dir ]] || return 0
    mkdir -p "$metrics_dir"
    local file="$metrics_dir/backup.prom" last_success=0 last_size=0
    if [[ -f $file ]]; then
        last_success=$(awk '$1 == "backup_last_success_timestamp_seconds" {print $2}' "$file")
        last_size=$(awk '$1 == "backup_last_size_bytes" {print $2}' "$file")
    fi
    if [[ $success -eq 1 ]]; then
        last_success=$now
        last_size=$size
    fi
    local tmp
    tmp=$(mktemp "$metrics_dir/.backup.prom.XXXXXX")
    cat >"$tmp" <<METRICS
# HELP backup_last_success_timestamp_seconds Unix time of the last complete backup set.
# TYPE backup_last_success_timestamp_seconds gauge
backup_last_success_timestamp_seconds ${last_success:-0}
# HELP backup_last_size_bytes Size in bytes of the last complete backup set.
# TYPE backup_last_size_bytes gauge
backup_last_size_bytes ${last_size:-0}
# HELP backup_last_run_success 1 if the last backup run succeeded, 0 if it failed.
# TYPE backup_last_run_success gauge
backup_last_run_success $success
# HELP backup_last_run_timestamp_seconds Unix time the last backup run finished.
# TYPE backup_last_run_timestamp_seconds gauge
backup_last_run_timestamp_seconds $(date +%s)
# HELP backup_last_duration_seconds Duration of the last backup run.
# TYPE backup_last_duration_seconds gauge
backup_last_duration_seconds $(( $(date +%s) - started ))
METRICS
    chmod 644 "$tmp"
    mv -f "$tmp" "$file"
}

on_error() {
    local status=$? line=$1
    trap - ERR
    log "FAILED at line $line (exit $status)"
    [[ -n $work && -d $work ]] && rm -rf "$work"
    write_metrics 0 0 || true
    exit "$status"
}
trap 'on_error $LINENO' ERR

recipients=()
if [[ -n ${BACKUP_AGE_RECIPIENTS:-} ]]; then
    read -r -a keys <<<"$BACKUP_AGE_RECIPIENTS"
    for key in "${keys[@]}"; do recipients+=(-r "$key"); done
fi
if [[ -n ${BACKUP_AGE_RECIPIENTS_FILE:-} ]]; then
    recipients+=(-R "$BACKUP_AGE_RECIPIENTS_FILE")
fi

# Write stdin to $1, through age when encryption is configured.
store() {
    local target=$1
    if [[ ${#recipients[@]} -gt 0 ]]; then
        age "${recipients[@]}" -o "$target.age"
    else
        cat >"$target"
    fi
}

dump_database() {
    local label=$1 target=$2 password_var
    password_var="PGPASSWORD_$(tr '[:lower:]-' '[:upper:]_' <<<"$label")"
    log "dumping database $label"
    PGPASSWORD=${!password_var:-${PGPASSWORD:-}} \
        pg_dump --format=custom --compress=6 --no-password --dbname="$target" | store "$work/$label.dump"
}

archive_dir() {
    local label=$1 dir=$2
    [[ -d $dir ]] || { log "$label directory $dir does not exist"; return 1; }
    log "archiving $label from $dir"
    # Moodle rebuilds caches, sessions and temp files; they are large and worthless in a restore.
    tar --create --gzip --directory="$dir" --numeric-owner \
        --exclude=./cache --exclude=./localcache --exclude=./sessions \
        --exclude=./temp --exclude=./trashdir --exclude=./lock \
        . | store "$work/$label.tar.gz"
}

# Hard-link the new set into a tier unless that tier already holds a set from the same period
# (ISO week, calendar month): the first good backup of a period is kept even if a night failed.
promote() {
    local tier=$1 period=$2 current existing name
    current=$(date -u -d "@$now" "+$period")
    for existing in "$BACKUP_DIR/$tier"/20*; do
        [[ -d $existing ]] || continue
        name=${existing##*/}
        [[ $(date -u -d "${name:0:10}" "+$period") == "$current" ]] && return 0
    done
    cp -al "$final" "$BACKUP_DIR/$tier/$stamp"
    log "kept as $tier/$stamp"
}

prune() {
    local tier=$1 keep=$2
    [[ -d $BACKUP_DIR/$tier ]] || return 0
    local -a sets
    mapfile -t sets < <(find "$BACKUP_DIR/$tier" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort -r)
    local i
    for ((i = keep; i < ${#sets[@]}; i++)); do
        log "pruning ${sets[i]#"$BACKUP_DIR"/}"
        rm -rf "${sets[i]}"
    done
}

mkdir -p "$BACKUP_DIR/daily" "$BACKUP_DIR/weekly" "$BACKUP_DIR/monthly"
# Ofelia already refuses overlapping runs; the lock also covers a manual run during the nightly one.
exec 9>"$BACKUP_DIR/.lock"
flock --nonblock 9 || { log "another backup is running"; exit 75; }

final="$BACKUP_DIR/daily/$stamp"
[[ ! -e $final ]] || { log "set $stamp already exists"; exit 1; }
work=$(mktemp -d "$BACKUP_DIR/daily/.partial-$stamp.XXXXXX")

read -r -a entries <<<"$BACKUP_DATABASES"
labels=()
for entry in "${entries[@]}"; do
    [[ $entry == *=* ]] || { log "BACKUP_DATABASES entry '$entry' is not LABEL=TARGET"; exit 2; }
    dump_database "${entry%%=*}" "${entry#*=}"
    labels+=("${entry%%=*}")
done
if [[ -n ${MOODLEDATA_DIR:-} ]]; then archive_dir moodledata "$MOODLEDATA_DIR"; fi
if [[ -n ${BRIDGE_FILES_DIR:-} ]]; then archive_dir bridge-files "$BRIDGE_FILES_DIR"; fi

{
    echo "created=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)"
    echo "databases=${labels[*]}"
    echo "encrypted=$([[ ${#recipients[@]} -gt 0 ]] && echo age || echo no)"
    echo "pg_dump=$(pg_dump --version)"
} >"$work/MANIFEST"
(cd "$work" && find . -maxdepth 1 -type f ! -name '.*' -printf '%P\n' | sort | xargs sha256sum >.sums && mv .sums SHA256SUMS)
chmod 700 "$work"
mv "$work" "$final"
work=""
log "wrote ${final#"$BACKUP_DIR"/}"

promote weekly %G-W%V
promote monthly %Y-%m
prune daily "$keep_daily"
prune weekly "$keep_weekly"
prune monthly "$keep_monthly"

size=$(du -sb "$final" | cut -f1)
write_metrics 1 "$size"
log "done: $size bytes in $(( $(date +%s) - started ))s"
