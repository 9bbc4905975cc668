#!/usr/bin/env python3
"""Glimvid partner API over gRPC: make a video from photos and follow it to the end.

    python client.py --target localhost:50051 --api-key gv_live_... photo.jpg "A short description"

Creates a job (glimvid.jobs.v1.VideoJobService/CreateVideoJob, with an idempotency key so a
retried call never makes a second job), streams WatchVideoJob until the server ends the stream
(resuming from the last event id if the connection drops), then prints the final job and its
video link. Exit status: 0 when the job succeeded, 1 when it failed or was canceled, 2 when a
call was refused (the gRPC code and Glimvid's error code are printed).

The stubs are generated from the repository's proto/ folder with grpcio-tools, into
./generated (not committed): by gen.sh, or by this script itself when they are missing or older
than a .proto file. Needs: pip install -r requirements.txt
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import urllib.request
import uuid

HERE = pathlib.Path(__file__).resolve().parent
PROTO_DIR = HERE.parent.parent / "proto"
GENERATED = HERE / "generated"

# Photos may also name one of your earlier uploads instead of a file.
UPLOAD_PREFIXES = ("/api/v1/videos/", "http://", "https://")
ENDED = ("succeeded", "failed", "canceled")


def short(enum, value: int) -> str:
    """An enum value as the REST API spells it: JOB_STATUS_AWAITING_REVIEW -> awaiting_review
    (each value name starts with its enum's prefix, the zero value's name less UNSPECIFIED)."""
    if value == 0:
        return ""
    prefix = enum.Name(0).removesuffix("UNSPECIFIED")
    return enum.Name(value).removeprefix(prefix).lower()


def generate_stubs(force: bool = False) -> None:
    """Runs grpc_tools.protoc on every .proto under proto/ (the same command as gen.sh), unless
    the stubs are newer than every .proto file."""
    protos = sorted(p.relative_to(PROTO_DIR).as_posix() for p in PROTO_DIR.rglob("*.proto"))
    if not protos:
        sys.exit(f"client.py: no .proto files under {PROTO_DIR}")
    stamp = GENERATED / ".stamp"
    newest = max((PROTO_DIR / p).stat().st_mtime for p in protos)
    if not force and stamp.exists() and stamp.stat().st_mtime >= newest:
        return
    try:
        from importlib.resources import files

        from grpc_tools import protoc
    except ImportError:
        sys.exit("client.py: grpcio-tools is missing: pip install -r requirements.txt")
    GENERATED.mkdir(exist_ok=True)
    well_known = str(files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={GENERATED}",
        f"--grpc_python_out={GENERATED}",
        f"--pyi_out={GENERATED}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("client.py: protoc failed on proto/ (see above)")
    stamp.touch()


def load_stubs():
    generate_stubs()
    sys.path.insert(0, str(GENERATED))
    try:
        from glimvid.jobs.v1 import jobs_pb2, jobs_pb2_grpc
    except ImportError as e:
        sys.exit(f"client.py: {e}: pip install -r requirements.txt")
    return jobs_pb2, jobs_pb2_grpc


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Create a Glimvid video job over gRPC and stream it to the end.",
        epilog="Exit status: 0 succeeded, 1 failed or canceled, 2 refused or unreachable.",
    )
    p.add_argument(
        "--target",
        default=os.environ.get("GLIMVID_GRPC_TARGET", "localhost:50051"),
        help="host:port of the gRPC API (env GLIMVID_GRPC_TARGET; default %(default)s)",
    )
    p.add_argument("--api-key", default=os.environ.get("GLIMVID_API_KEY"), help="gv_live_... (env GLIMVID_API_KEY)")
    p.add_argument("--tls", action="store_true", help="connect with TLS (system roots, or --ca-cert)")
    p.add_argument("--ca-cert", type=pathlib.Path, help="PEM file of the CA to trust (implies --tls)")
    p.add_argument("--aspect-ratio", default="", help="9:16, 1:1 or 16:9 (default: the account's)")
    p.add_argument("--duration", type=int, default=0, help="video length in seconds (default: the account's)")
    p.add_argument("--language", default="", help="script language, e.g. en, de (default: the account's)")
    p.add_argument("--style", default="", help="script style (default: the account's)")
    p.add_argument(
        "--idempotency-key",
        default=None,
        help="reuse a key to retry safely: the same key returns the first job (default: a new UUID)",
    )
    p.add_argument("--output", type=pathlib.Path, help="download the finished video (its public link) to this file")
    p.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds (default %(default)s)")
    p.add_argument("--generate-only", action="store_true", help="only (re)generate the stubs from proto/, then exit")
    p.add_argument("photos", nargs="*", metavar="PHOTO", help="JPEG, PNG or WebP files (or /api/v1/videos/... uploads)")
    p.add_argument("description", nargs="?", help="what the video is about")
    a = p.parse_args(argv)
    if a.generate_only:
        return a
    # argparse gives the last positional to `photos` when `description` could be empty.
    if a.description is None and len(a.photos) >= 2:
        a.description = a.photos.pop()
    if not a.photos or not a.description:
        p.error("give one or more photos and then a description")
    if not a.api_key:
        p.error("--api-key (or GLIMVID_API_KEY) is required")
    return a


def error_text(e) -> str:
    """The gRPC status, with Glimvid's own code and request id from the trailers."""
    import grpc

    extra = []
    if isinstance(e, grpc.Call):
        for k, v in e.trailing_metadata() or ():
            if k in ("glimvid-code", "x-request-id"):
                extra.append(f"{k}={v}")
    return f"{e.code().name}: {e.details()}" + (f" ({', '.join(extra)})" if extra else "")


def photo_messages(pb, paths: list[str]):
    photos = []
    for p in paths:
        if p.startswith(UPLOAD_PREFIXES):
            photos.append(pb.Photo(url=p))
        else:
            try:
                photos.append(pb.Photo(data=pathlib.Path(p).read_bytes()))
            except OSError as e:
                sys.exit(f"client.py: cannot read {p}: {e.strerror}")
    return photos


def watch(stub, pb, job_id: str, metadata, deadline: float) -> None:
    """Prints the job's events until the server ends the stream; resumes after a dropped
    connection from the last event seen."""
    import grpc

    after, retries = 0, 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            for resp in stub.WatchVideoJob(
                pb.WatchVideoJobRequest(id=job_id, after_event_id=after), metadata=metadata, timeout=remaining
            ):
                ev = resp.event
                after, retries = ev.id, 0
                kind = short(pb.JobEventKind, ev.kind)
                if kind == "stage":
                    parts = (kind, short(pb.StageName, ev.stage), short(pb.StageStatus, ev.stage_status))
                else:
                    parts = (kind, short(pb.JobStatus, ev.job_status))
                what = "/".join(x for x in parts if x)
                at = ev.event_time.ToJsonString()
                print(f"event {ev.id} {at} {what}" + (f": {ev.message}" if ev.message else ""), flush=True)
            return
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise TimeoutError from e
            if e.code() != grpc.StatusCode.UNAVAILABLE or retries >= 5:
                raise
            retries += 1
            print(f"stream interrupted ({error_text(e)}); resuming after event {after}", file=sys.stderr)
            time.sleep(min(2**retries, 10))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.generate_only:
        generate_stubs(force=True)
        print(f"client.py: stubs in {GENERATED}")
        return 0
    pb, pb_grpc = load_stubs()
    import grpc

    if args.tls or args.ca_cert:
        roots = args.ca_cert.read_bytes() if args.ca_cert else None
        channel = grpc.secure_channel(args.target, grpc.ssl_channel_credentials(root_certificates=roots))
    else:
        channel = grpc.insecure_channel(args.target)
    stub = pb_grpc.VideoJobServiceStub(channel)
    metadata = (("authorization", f"Bearer {args.api_key}"),)
    deadline = time.monotonic() + args.timeout
    key = args.idempotency_key or str(uuid.uuid4())
    request = pb.CreateVideoJobRequest(
        photos=photo_messages(pb, args.photos),
        description=args.description,
        options=pb.VideoOptions(
            aspect_ratio=args.aspect_ratio, duration_s=args.duration, language=args.language, style=args.style
        ),
        idempotency_key=key,
    )
    try:
        created = stub.CreateVideoJob(request, metadata=metadata, timeout=60)
        job = created.video_job
        replayed = " (replayed: an earlier call made it)" if created.replayed else ""
        print(f"job {job.id} {short(pb.JobStatus, job.status)}{replayed}")
        print(f"idempotency key: {key}", flush=True)
        watch(stub, pb, job.id, metadata, deadline)
        job = stub.GetVideoJob(pb.GetVideoJobRequest(id=job.id), metadata=metadata, timeout=30).video_job
    except grpc.RpcError as e:
        print(f"client.py: {error_text(e)}", file=sys.stderr)
        return 2
    except TimeoutError:
        print(f"client.py: the job did not end within {args.timeout:.0f} s", file=sys.stderr)
        return 2
    finally:
        channel.close()

    status = short(pb.JobStatus, job.status)
    if status not in ENDED:
        print(f"client.py: the event stream ended but the job is still {status}", file=sys.stderr)
        return 2
    for s in job.stages:
        line = f"stage {short(pb.StageName, s.name)}: {short(pb.StageStatus, s.status)}"
        print(line + (f" ({s.failure_reason})" if s.failure_reason else ""))
    if job.HasField("script"):
        print(f"script: {job.script.title!r}, {len(job.script.scenes)} scenes")
    print(f"final status: {status}")
    if status != "succeeded":
        print(f"failure reason: {job.failure_reason or '(none given)'}")
        return 1
    print(f"video URL: {job.public_url}")
    print(f"video path (authenticated REST): {job.video_url}")
    if args.output:
        with urllib.request.urlopen(job.public_url, timeout=60) as r:
            args.output.write_bytes(r.read())
        print(f"saved {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
