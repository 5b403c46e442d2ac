#!/usr/bin/env bash
# Restore one backup set written by backup.sh: verify its checksums, restore each database dump
# with pg_restore --exit-on-error in a single transaction, and put the file trees back.
#
#   restore.sh [--verify-only] [--no-files] SET
#
# SET is a set directory, or `latest` for the newest set in BACKUP_DIR/daily.
# Where each database goes comes from RESTORE_DATABASES (same LABEL=TARGET form and password
# lookup as BACKUP_DATABASES in backup.sh, which it defaults to). The target database must exist;
# what it holds is replaced (--clean --if-exists). Only the labels listed are restored, so one
# database can be restored alone. File trees go back into MOODLEDATA_DIR and BRIDGE_FILES_DIR
# when set (their current content is removed first). Encrypted sets need
# BACKUP_AGE_IDENTITY_FILE, the age identity kept off the server.
#
# Stop the bridge, the grader workers and Moodle first (docker compose stop bridge grader
# scheduler moodle moodle-cron): a restore under live writers is not a restore.
set -Eeuo pipefail
umask 077

verify_only=0
with_files=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --verify-only) verify_only=1 ;;
        --no-files) with_files=0 ;;
        -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "restore: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
[[ $# -eq 1 ]] || { echo "usage: restore.sh [--verify-only] [--no-files] SET|latest" >&2; exit 2; }

log() { printf '%s restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

set_dir=$1
if [[ $set_dir == latest ]]; then
    : "${BACKUP_DIR:?BACKUP_DIR must be set to find the latest set}"
    set_dir=$(find "$BACKUP_DIR/daily" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort | tail -n 1)
    [[ -n $set_dir ]] || { log "no backup set in $BACKUP_DIR/daily"; exit 1; }
fi
[[ -f $set_dir/SHA256SUMS ]] || { log "$set_dir is not a backup set (no SHA256SUMS)"; exit 1; }

log "verifying checksums of $set_dir"
(cd "$set_dir" && sha256sum --check --strict --quiet SHA256SUMS >&2)
if [[ $verify_only -eq 1 ]]; then
    log "checksums of $set_dir are good"
    exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Print the path of a plain artefact, decrypting it into the scratch directory when needed.
artefact() {
    local name=$1
    if [[ -f $set_dir/$name ]]; then
        printf '%s\n' "$set_dir/$name"
    elif [[ -f $set_dir/$name.age ]]; then
        : "${BACKUP_AGE_IDENTITY_FILE:?the set is encrypted: set BACKUP_AGE_IDENTITY_FILE}"
        age --decrypt -i "$BACKUP_AGE_IDENTITY_FILE" -o "$scratch/$name" "$set_dir/$name.age"
        printf '%s\n' "$scratch/$name"
    else
        return 1
    fi
}

restore_database() {
    local label=$1 target=$2 dump password_var
    dump=$(artefact "$label.dump") || { log "the set has no dump for $label"; return 1; }
    password_var="PGPASSWORD_$(tr '[:lower:]-' '[:upper:]_' <<<"$label")"
    log "restoring database $label"
    PGPASSWORD=${!password_var:-${PGPASSWORD:-}} pg_restore --exit-on-error --single-transaction \
        --clean --if-exists --no-owner --no-password --dbname="$target" "$dump"
    if [[ $dump == "$scratch"/* ]]; then rm -f "$dump"; fi
}

restore_dir() {
    local label=$1 dir=$2 archive
    archive=$(artefact "$label.tar.gz") || { log "the set has no $label archive; skipped"; return 0; }
    [[ -d $dir ]] || { log "$label directory $dir does not exist"; return 1; }
    log "restoring $label into $dir"
    find "$dir" -mindepth 1 -delete
    tar --extract --gzip --directory="$dir" --numeric-owner --file="$archive"
}

targets=${RESTORE_DATABASES:-${BACKUP_DATABASES:-}}
[[ -n $targets ]] || { log "set RESTORE_DATABASES (LABEL=TARGET pairs)"; exit 2; }
read -r -a entries <<<"$targets"
for entry in "${entries[@]}"; do
    [[ $entry == *=* ]] || { log "entry '$entry' is not LABEL=TARGET"; exit 2; }
    restore_database "${entry%%=*}" "${entry#*=}"
done
if [[ $with_files -eq 1 ]]; then
    if [[ -n ${MOODLEDATA_DIR:-} ]]; then restore_dir moodledata "$MOODLEDATA_DIR"; fi
    if [[ -n ${BRIDGE_FILES_DIR:-} ]]; then restore_dir bridge-files "$BRIDGE_FILES_DIR"; fi
fi
log "restored $set_dir"
