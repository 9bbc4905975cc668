"""Tests of the example webhook receiver (../webhook_receiver.py): the `verify` helper, and the
receiver over loopback HTTP (duplicates, refusals). Standard library only:

    python -m unittest discover -s examples/python -p 'test_*.py' -v
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pathlib
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from webhook_receiver import InvalidSignature, Receiver, make_server, sign, verify  # noqa: E402

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":42,"job_id":"7f1c","kind":"job","stage":null,"status":"succeeded","message":null,"type":"job.succeeded"}'
T = 1_700_000_000


def reference(secret: str, t: int, body: bytes) -> str:
    """The documented scheme, written out independently of webhook_receiver.sign."""
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


class VerifyTest(unittest.TestCase):
    def reason(self, header, body=BODY, secret=SECRET, now=T, **kw) -> str:
        with self.assertRaises(InvalidSignature) as cm:
            verify(secret, header, body, now=now, **kw)
        return cm.exception.reason

    def test_sign_matches_the_documented_scheme(self):
        self.assertEqual(sign(SECRET, BODY, T), f"t={T},v1={reference(SECRET, T, BODY)}")

    def test_a_valid_signature_passes(self):
        header = f"t={T},v1={reference(SECRET, T, BODY)}"
        self.assertEqual(verify(SECRET, header, BODY, now=T), T)
        self.assertEqual(verify(SECRET.encode(), header, BODY, now=T + 300), T)
        self.assertEqual(verify(SECRET, header, BODY, now=T - 300), T)
        # Spaces after commas and upper-case hex are accepted.
        self.assertEqual(verify(SECRET, f"t={T}, v1={reference(SECRET, T, BODY).upper()}", BODY, now=T), T)

    def test_a_tampered_body_fails(self):
        header = sign(SECRET, BODY, T)
        self.assertEqual(self.reason(header, body=BODY.replace(b"succeeded", b"failed")), "mismatch")
        self.assertEqual(self.reason(header, body=BODY + b" "), "mismatch")

    def test_another_secret_fails(self):
        self.assertEqual(self.reason(sign("whsec_other", BODY, T)), "mismatch")

    def test_a_changed_timestamp_fails(self):
        # The timestamp is signed: moving it (to pass the tolerance) breaks the signature.
        mac = reference(SECRET, T, BODY)
        self.assertEqual(self.reason(f"t={T + 1},v1={mac}", now=T + 1), "mismatch")

    def test_a_stale_or_future_timestamp_fails(self):
        header = sign(SECRET, BODY, T)
        self.assertEqual(self.reason(header, now=T + 301), "stale")
        self.assertEqual(self.reason(header, now=T - 301), "stale")
        self.assertEqual(self.reason(header, now=T + 61, tolerance=60), "stale")

    def test_bad_headers_fail(self):
        mac = reference(SECRET, T, BODY)
        for header in [
            None,
            "",
            f"v1={mac}",
            f"t={T}",
            f"t=soon,v1={mac}",
            f"t={T},v1=not-hex",
            f"t={T},v1=",
            f"t={T},v0={mac}",
            f"{T},{mac}",
            f"t={T},v1=é{mac}",
        ]:
            with self.subTest(header=header):
                self.assertEqual(self.reason(header), "malformed")

    def test_any_of_several_signatures_passes_during_a_rotation(self):
        good = reference(SECRET, T, BODY)
        self.assertEqual(verify(SECRET, f"t={T},v1={'ab' * 32},v1={good}", BODY, now=T), T)
        self.assertEqual(self.reason(f"t={T},v1={'ab' * 32},v1={'cd' * 32}"), "mismatch")


class ReceiverTest(unittest.TestCase):
    def setUp(self):
        self.receiver = Receiver(SECRET, quiet=True)
        self.server = make_server(self.receiver)
        self.url = "http://{}:{}/".format(*self.server.server_address[:2])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def post(self, body: bytes, headers: dict) -> int:
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def deliver(self, event_id: int, body: bytes | None = None, signature: str | None = None) -> int:
        body = body if body is not None else json.dumps({"id": event_id, "type": "job.running"}).encode()
        return self.post(
            body,
            {
                "Content-Type": "application/json",
                "Glimvid-Event-Id": str(event_id),
                "Glimvid-Signature": signature or sign(SECRET, body),
            },
        )

    def test_duplicates_are_acknowledged_and_counted_once(self):
        self.assertEqual(self.deliver(1), 200)
        self.assertEqual(self.deliver(2), 200)
        self.assertEqual(self.deliver(1), 200, "a duplicate is acknowledged so it is not sent again")
        self.assertEqual(self.deliver(1), 200)
        s = self.receiver.stats()
        self.assertEqual((s["received"], s["duplicates"], s["rejected"]), (4, 2, 0))
        self.assertEqual([e["id"] for e in s["events"]], [1, 2])

    def test_bad_deliveries_are_refused(self):
        body = json.dumps({"id": 7}).encode()
        self.assertEqual(self.deliver(7, body=body, signature=sign("whsec_other", body)), 401)
        self.assertEqual(self.deliver(7, body=body, signature=sign(SECRET, body, T)), 401, "stale")
        self.assertEqual(self.deliver(8, body=body), 400, "the header and the body name other events")
        self.assertEqual(self.deliver(9, body=b"not json"), 400)
        s = self.receiver.stats()
        self.assertEqual((s["received"], s["duplicates"], s["rejected"], s["events"]), (0, 0, 4, []))
        # A refused delivery does not mark its id as seen: the genuine one still counts.
        self.assertEqual(self.deliver(7, body=body), 200)
        self.assertEqual(self.receiver.stats()["events"], [{"id": 7}])

    def test_stats_are_served(self):
        self.deliver(3)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url + "stats", timeout=10) as r:
            s = json.load(r)
        self.assertEqual((s["received"], s["duplicates"]), (1, 0))


if __name__ == "__main__":
    unittest.main()
