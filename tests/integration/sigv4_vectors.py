#!/usr/bin/python3
"""Prints the Authorization headers that tests/unit/test_sigv4.c expects for
requests that already carry headers the signature replaces, computed by
botocore's SigV4Auth (independent of aws/sigv4.c): GET / on
example.amazonaws.com at 20150830T123600Z with the AWS suite's key.

  /usr/bin/python3 tests/integration/sigv4_vectors.py
"""
import datetime
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime(2015, 8, 30, 12, 36, 0)
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HOST = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
CASES = [
    ("a stale X-Amz-Security-Token replaced by the credentials' token",
     HOST + [("X-Amz-Security-Token", "stale-token-from-request")], "token-value"),
    ("an old Authorization and a stale token replaced",
     HOST + [("Authorization", "AWS4-HMAC-SHA256 old"),
             ("x-amz-security-token", "stale-token-from-request")], "token-value"),
    ("no session token: the request's X-Amz-Security-Token signed as it is",
     HOST + [("X-Amz-Security-Token", "request-token")], None),
]

for name, headers, token in CASES:
    req = AWSRequest(method="GET", url="https://example.amazonaws.com/", headers=dict(headers))
    req.context["payload_signing_enabled"] = True
    with mock.patch("botocore.auth.datetime") as dt:
        dt.datetime.utcnow.return_value = WHEN
        dt.datetime.strptime = datetime.datetime.strptime
        SigV4Auth(Credentials(KEY_ID, SECRET, token), "service", "us-east-1").add_auth(req)
    print(f"/* {name} */")
    print(f'"{req.headers["Authorization"]}",')
    print(f"/* sent: {sorted(req.headers.items())} */")
