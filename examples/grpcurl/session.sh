#!/usr/bin/env bash
# A grpcurl session against the Glimvid partner API, through server reflection (no .proto files
# needed): list the services, describe the job service, create a job from a photo, read it back
# and stream its events to the end.
#
#   examples/grpcurl/session.sh HOST:PORT API_KEY PHOTO [DESCRIPTION]
#
# Environment: GRPCURL (the grpcurl binary; default `grpcurl` on PATH, or the one
# scripts/examples-setup installs), GRPCURL_FLAGS (default -plaintext; for TLS e.g.
# "-cacert ca.pem"), DURATION_S (video length, default 5).
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 HOST:PORT API_KEY PHOTO [DESCRIPTION]" >&2
    exit 2
fi
target=$1 key=$2 photo=$3
description=${4:-"A short video made with grpcurl"}

grpcurl=${GRPCURL:-}
if [ -z "$grpcurl" ]; then
    if command -v grpcurl >/dev/null; then
        grpcurl=grpcurl
    elif [ -x "$HOME/.cache/glimvid/examples-venv/bin/grpcurl" ]; then
        grpcurl="$HOME/.cache/glimvid/examples-venv/bin/grpcurl"
    else
        echo "session.sh: grpcurl not found: run scripts/examples-setup, or set GRPCURL" >&2
        exit 2
    fi
fi
read -r -a flags <<<"${GRPCURL_FLAGS:--plaintext}"
[ -r "$photo" ] || { echo "session.sh: cannot read $photo" >&2; exit 2; }

# Shows each command as one would type it (the key elided), then runs it.
run() {
    local line='$ grpcurl' arg
    for arg in "${@:2}"; do
        arg=${arg//$key/gv_live_…}
        if [[ $arg =~ ^[A-Za-z0-9_./:@=-]+$ ]]; then line+=" $arg"; else line+=" '$arg'"; fi
    done
    echo "$line"
    "$@"
}

echo "== the services this server reflects"
run "$grpcurl" "${flags[@]}" "$target" list

echo
echo "== the job service and its request"
run "$grpcurl" "${flags[@]}" "$target" describe glimvid.jobs.v1.VideoJobService
run "$grpcurl" "${flags[@]}" "$target" describe glimvid.jobs.v1.CreateVideoJobRequest

echo
echo "== CreateVideoJob (bytes fields are base64 in grpcurl's JSON)"
request=$(mktemp)
trap 'rm -f "$request"' EXIT
idempotency_key="grpcurl-$(date +%s)-$$"
{
    printf '{"photos": [{"data": "'
    base64 <"$photo" | tr -d '\n'
    printf '"}], "description": "%s", "options": {"duration_s": %d}, "idempotency_key": "%s"}' \
        "${description//\"/\\\"}" "${DURATION_S:-5}" "$idempotency_key"
} >"$request"
echo "\$ grpcurl ${flags[*]} -H 'authorization: Bearer gv_live_…' -d @ $target glimvid.jobs.v1.VideoJobService/CreateVideoJob < request.json"
created=$("$grpcurl" "${flags[@]}" -H "authorization: Bearer $key" -d @ "$target" \
    glimvid.jobs.v1.VideoJobService/CreateVideoJob <"$request")
echo "$created"
# The answer is {"videoJob": {...}, "replayed": ...}: the job's id is the first field of the job.
job_id=$(sed -n 's/^    "id": "\([^"]*\)",\{0,1\}$/\1/p' <<<"$created" | head -n 1)
if [ -z "$job_id" ]; then
    echo "session.sh: no job id in the answer" >&2
    exit 1
fi

echo
echo "== GetVideoJob"
run "$grpcurl" "${flags[@]}" -H "authorization: Bearer $key" -d "{\"id\": \"$job_id\"}" "$target" \
    glimvid.jobs.v1.VideoJobService/GetVideoJob

echo
echo "== WatchVideoJob: the job's events until it ends"
run "$grpcurl" "${flags[@]}" -H "authorization: Bearer $key" -d "{\"id\": \"$job_id\"}" "$target" \
    glimvid.jobs.v1.VideoJobService/WatchVideoJob

echo
echo "== the finished job"
final=$("$grpcurl" "${flags[@]}" -H "authorization: Bearer $key" -d "{\"id\": \"$job_id\"}" "$target" \
    glimvid.jobs.v1.VideoJobService/GetVideoJob)
# The status is an enum (JOB_STATUS_SUCCEEDED); shown as the REST API spells it (succeeded).
status=$(sed -n 's/^    "status": "JOB_STATUS_\([^"]*\)",\{0,1\}$/\1/p' <<<"$final" | head -n 1 | tr '[:upper:]' '[:lower:]')
public_url=$(sed -n 's/^    "public\(Url\|_url\)": "\([^"]*\)",\{0,1\}$/\2/p' <<<"$final" | head -n 1)
echo "job $job_id: $status${public_url:+ $public_url}"
[ "$status" = succeeded ]
