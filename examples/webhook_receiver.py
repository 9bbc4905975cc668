#!/usr/bin/env python3
"""A Glimvid webhook receiver: checks each delivery's signature, drops duplicates by event id,
and prints the events. Python standard library only.

    python webhook_receiver.py --port 8000 --secret whsec_...     (or env GLIMVID_WEBHOOK_SECRET)

Register its URL first (REST `POST /api/v1/webhooks {"url": ...}` or gRPC CreateWebhook); the
answer holds the signing secret, shown once. Every job event is then POSTed as JSON with

    Glimvid-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
    Glimvid-Event-Id: <the event id, also the body's "id">

A delivery may arrive more than once (a retry after a lost answer): answer 2xx quickly and
deduplicate by event id. This receiver keeps the ids it has seen in memory; a real one keeps
them where it stores the effect of the event, in the same transaction.

`GET /stats` answers the counts as JSON (received, duplicates, rejected, and the events).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIGNATURE_HEADER = "Glimvid-Signature"
EVENT_ID_HEADER = "Glimvid-Event-Id"
TOLERANCE_S = 300
MAX_BODY = 1024 * 1024


class InvalidSignature(ValueError):
    """Why a delivery was refused: `reason` is "malformed", "stale" or "mismatch"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def sign(secret: str | bytes, body: bytes, t: int | None = None) -> str:
    """The header value Glimvid sends for `body` at unix time `t` (for tests and tools)."""
    key = secret.encode() if isinstance(secret, str) else secret
    t = int(time.time()) if t is None else t
    mac = hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    secret: str | bytes, header: str | None, body: bytes, tolerance: int = TOLERANCE_S, now: float | None = None
) -> int:
    """Checks a `Glimvid-Signature` header against the raw request body (the exact bytes
    received, before any JSON parsing). Returns the signed timestamp; raises InvalidSignature
    when the header is missing or malformed, the timestamp is more than `tolerance` seconds
    from now (a replay), or no `v1` signature matches. Several `v1=` values may be present
    while a secret is rotated: any match passes. The comparison is constant-time."""
    key = secret.encode() if isinstance(secret, str) else secret
    t = None
    sigs: list[str] = []
    for part in (header or "").split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                t = int(value)
            except ValueError:
                raise InvalidSignature("malformed", f"the timestamp {value!r} is not a number") from None
        elif name == "v1":
            value = value.strip().lower()
            if not value or any(c not in "0123456789abcdef" for c in value):
                raise InvalidSignature("malformed", "a v1 signature is not hexadecimal")
            sigs.append(value)
    if t is None or not sigs:
        raise InvalidSignature("malformed", f"{SIGNATURE_HEADER} must be t=<unix seconds>,v1=<hex>")
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise InvalidSignature("stale", f"the signature is {abs(now - t):.0f} s from now (tolerance {tolerance} s)")
    expected = hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    # Compare against every candidate, without stopping early.
    ok = False
    for s in sigs:
        ok |= hmac.compare_digest(expected, s)
    if not ok:
        raise InvalidSignature("mismatch", "the signature does not match the body")
    return t


class Receiver:
    """What the server has seen: event ids, counts, and the events in arrival order."""

    def __init__(self, secret: str, tolerance: int = TOLERANCE_S, quiet: bool = False):
        self.secret = secret
        self.tolerance = tolerance
        self.quiet = quiet
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        self.events: list[dict] = []
        self.received = 0
        self.duplicates = 0
        self.rejected = 0

    def log(self, line: str) -> None:
        if not self.quiet:
            with self.lock:  # one whole line at a time, whichever thread serves the delivery
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

    def handle(self, headers, body: bytes) -> tuple[int, str]:
        """Status and text for one delivery."""
        try:
            verify(self.secret, headers.get(SIGNATURE_HEADER), body, self.tolerance)
            event = json.loads(body)
            if not isinstance(event, dict):
                raise ValueError("the body is not a JSON object")
        except InvalidSignature as e:
            with self.lock:
                self.rejected += 1
            self.log(f"rejected ({e.reason}): {e}")
            return 401, f"invalid signature: {e}"
        except ValueError as e:
            with self.lock:
                self.rejected += 1
            self.log(f"rejected (bad body): {e}")
            return 400, "the body is not a JSON event"
        event_id = str(headers.get(EVENT_ID_HEADER) or event.get("id") or "")
        if not event_id or ("id" in event and str(event["id"]) != event_id):
            with self.lock:
                self.rejected += 1
            self.log(f"rejected: event id header {event_id!r} vs body {event.get('id')!r}")
            return 400, "missing or inconsistent event id"
        with self.lock:
            self.received += 1
            duplicate = event_id in self.seen
            if duplicate:
                self.duplicates += 1
            else:
                self.seen.add(event_id)
                self.events.append(event)
        if duplicate:
            self.log(f"duplicate event {event_id} (already handled; answered 200 so it is not sent again)")
            return 200, "duplicate"
        what = "/".join(str(event[k]) for k in ("stage", "status") if event.get(k))
        message = f": {event['message']}" if event.get("message") else ""
        self.log(f"event {event_id} {event.get('type', event.get('kind'))} job={event.get('job_id')} {what}{message}")
        return 200, "ok"

    def stats(self) -> dict:
        with self.lock:
            return {
                "received": self.received,
                "duplicates": self.duplicates,
                "rejected": self.rejected,
                "events": list(self.events),
            }


def make_server(receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.answer(413 if length > MAX_BODY else 400, "bad length")
                return
            body = self.rfile.read(length)
            self.answer(*receiver.handle(self.headers, body))

        def do_GET(self):
            if self.path == "/stats":
                self.answer(200, json.dumps(receiver.stats()), "application/json")
            else:
                self.answer(404, "POST webhook deliveries here; GET /stats for the counts")

        def answer(self, status: int, text: str, content_type: str = "text/plain; charset=utf-8"):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="Receive and verify Glimvid webhook deliveries.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (default %(default)s)")
    p.add_argument("--secret", default=os.environ.get("GLIMVID_WEBHOOK_SECRET"), help="whsec_... (env GLIMVID_WEBHOOK_SECRET)")
    p.add_argument("--tolerance", type=int, default=TOLERANCE_S, help="seconds (default %(default)s)")
    args = p.parse_args(argv)
    if not args.secret:
        p.error("--secret (or GLIMVID_WEBHOOK_SECRET) is required: the webhook's signing secret")
    receiver = Receiver(args.secret, args.tolerance)
    server = make_server(receiver, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"webhook receiver: listening on http://{host}:{port}/", flush=True)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        s = receiver.stats()
        print(f"webhook receiver: {s['received']} received, {s['duplicates']} duplicates, {s['rejected']} rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
