#!/bin/sh
# checkpoint-wrapper.sh: runs a FargateSpotRunner job so that a Fargate Spot
# interruption saves its checkpoint instead of losing the work.
#
#   checkpoint-wrapper.sh <command> [args...]
#
# 1. Restores the job's checkpoint from CHECKPOINT_S3_URI into CHECKPOINT_DIR.
# 2. Runs the command with CHECKPOINT_DIR exported; the job writes its progress
#    there and, when it finds some at start, resumes from it.
# 3. On SIGTERM (Fargate Spot gives stopTimeout, at most 120 s, before SIGKILL)
#    it forwards SIGTERM to the job, waits up to CHECKPOINT_GRACE_SECONDS, kills
#    the job if it is still running, uploads CHECKPOINT_DIR and exits 143, so
#    the runner sees an interrupted run (never a success) and restarts it.
# 4. When the job exits on its own, the checkpoint is uploaded if it failed
#    (a new execution with the same jobId resumes), and its exit code is kept.
#
# Environment:
#   CHECKPOINT_S3_URI         s3://bucket/prefix/ (set by the runner), or
#                             file:///path for local runs and tests; unset: no restore/upload
#   CHECKPOINT_DIR            local directory (default /tmp/checkpoint)
#   CHECKPOINT_GRACE_SECONDS  time the job gets to stop after SIGTERM (default 90;
#                             keep it well under stopTimeout to leave time for the upload)
# Uploading to S3 needs the AWS CLI in the image; the task role allows it.
#
# The runner inlines this script into the container's entry point, where
# CloudFormation would take a dollar-brace sequence for a parameter outside
# Fn::Sub (validation rule E1029): so the script never writes one, and reads
# its environment with plain $NAME before `set -u` instead.

dir=$CHECKPOINT_DIR
[ -n "$dir" ] || dir=/tmp/checkpoint
uri=$CHECKPOINT_S3_URI
grace=$CHECKPOINT_GRACE_SECONDS
[ -n "$grace" ] || grace=90
export CHECKPOINT_DIR="$dir"
set -u

log() { echo "checkpoint-wrapper: $*" >&2; }

if [ "$#" -eq 0 ]; then
  log "usage: checkpoint-wrapper.sh <command> [args...]"
  exit 64
fi
mkdir -p "$dir"

# local_path <uri-or-directory>: the directory a file:// URI names (a directory stays as it is).
local_path() { printf '%s\n' "$1" | sed 's|^file://||'; }

# copy_tree <from> <to>: either side may be an s3:// or file:// URI, the other a directory.
# An upload (to a URI) mirrors the directory, so files the job deleted do not come
# back on the next restore; a restore never deletes anything in the local directory.
copy_tree() {
  case "$1$2" in
    *s3://*)
      if ! command -v aws >/dev/null 2>&1; then
        log "the AWS CLI is not in the image; cannot copy $1 to $2"
        return 1
      fi
      case "$2" in
        s3://*) aws s3 sync --only-show-errors --delete "$1" "$2" ;;
        *) aws s3 sync --only-show-errors "$1" "$2" ;;
      esac
      ;;
    *)
      from=$(local_path "$1")
      to=$(local_path "$2")
      case "$2" in file://*) rm -rf "$to" ;; esac
      mkdir -p "$to" && cp -R "$from/." "$to/"
      ;;
  esac
}

restore() {
  [ -n "$uri" ] || return 0
  case "$uri" in file://*) [ -d "$(local_path "$uri")" ] || return 0 ;; esac
  if copy_tree "$uri" "$dir"; then log "restored checkpoint from $uri"; else log "no checkpoint restored from $uri"; fi
}

save() {
  [ -n "$uri" ] || return 0
  if copy_tree "$dir" "$uri"; then log "saved checkpoint to $uri"; else log "could not save checkpoint to $uri"; fi
}

restore

terminating=0
child=""
watchdog=""
# shellcheck disable=SC2329 # invoked by the trap below
on_term() {
  terminating=1
  log "SIGTERM: stopping the job (grace $grace s)"
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  # A job that ignores SIGTERM is killed in time to upload before ECS's SIGKILL.
  ( sleep "$grace"; kill -KILL "$child" 2>/dev/null ) >/dev/null 2>&1 &
  watchdog=$!
}
trap on_term TERM INT

"$@" &
child=$!

# wait returns early when a trapped signal arrives; wait again until the job is gone.
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break
done

if [ "$terminating" -eq 1 ]; then
  [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
  save
  exit 143
fi
if [ "$status" -ne 0 ]; then
  save
fi
exit "$status"
