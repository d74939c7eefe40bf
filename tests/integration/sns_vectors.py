#!/usr/bin/python3
"""Prints the expected Authorization headers that tests/test_sns.c checks
sns_build_publish() against, computed by botocore's SigV4Auth (independent
of aws/sigv4.c) for the same request: POST /, Host, Content-Type,
X-Amz-Date (and X-Amz-Security-Token), the given form body.

  /usr/bin/python3 tests/integration/sns_vectors.py
"""
import datetime
from unittest import mock

import botocore.auth

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5)  # 1767323045, UTC
KEY_ID = "AKIDIRISLONGTERM01"
SECRET = "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
TOKEN = "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="
# The form body test_sns.c expects sns_form_publish() to produce (written by
# hand from RFC 3986; test_sns.c compares it byte for byte too).
BODY = ("Action=Publish&Version=2010-03-31"
        "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Airis-alerts"
        "&Subject=iris%20model%20accuracy%2045%25%20%3C%2090%25"
        "&Message=caf%C3%A9%20%26%20%3D%20%2B%20~%20%2A%0A%22q%22"
        "&MessageAttributes.entry.1.Name=accuracy"
        "&MessageAttributes.entry.1.Value.DataType=Number"
        "&MessageAttributes.entry.1.Value.StringValue=0.45")
CASES = [
    ("local endpoint, long-term credentials", "http://127.0.0.1:4566/", "127.0.0.1:4566", None),
    ("AWS endpoint, session token", "https://sns.us-east-1.amazonaws.com/",
     "sns.us-east-1.amazonaws.com", TOKEN),
]

for name, url, host, token in CASES:
    req = AWSRequest(method="POST", url=url, data=BODY.encode(), headers={
        "Host": host, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    # https URLs would otherwise not hash the payload in every botocore version
    req.context["payload_signing_enabled"] = True
    # botocore reads the clock through get_current_datetime (1.3x and later),
    # earlier versions through datetime.datetime.utcnow: fix both.
    clock = (mock.patch("botocore.auth.get_current_datetime", return_value=WHEN)
             if hasattr(botocore.auth, "get_current_datetime") else mock.patch("botocore.auth.datetime"))
    with clock as dt:
        if not hasattr(botocore.auth, "get_current_datetime"):
            dt.datetime.utcnow.return_value = WHEN
            dt.datetime.strptime = datetime.datetime.strptime
        SigV4Auth(Credentials(KEY_ID, SECRET, token), "sns", "us-east-1").add_auth(req)
    print(f"/* {name} */")
    print(f'"{req.headers["Authorization"]}",')
