#!/usr/bin/python3
"""Prints the expected Authorization header that tests/unit/test_dynamodb.c
checks ddb_build_headers() against, computed by botocore's SigV4Auth
(independent of aws/sigv4.c) for the same request: POST /, Host,
Content-Type application/x-amz-json-1.0, X-Amz-Target
DynamoDB_20120810.GetItem, X-Amz-Date and X-Amz-Security-Token, the body.

  /usr/bin/python3 tests/integration/dynamodb_vectors.py
"""
import datetime
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5)  # 1767323045, UTC
KEY_ID = "AKIDIRISLONGTERM01"
SECRET = "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
TOKEN = "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="
BODY = '{"TableName":"iris-alert-state","Key":{"pk":{"S":"iris#inputs"}},"ConsistentRead":true}'

req = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data=BODY.encode(), headers={
    "Host": "127.0.0.1:8000", "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.GetItem"})
req.context["payload_signing_enabled"] = True
# botocore reads the clock through get_current_datetime (1.3x and later).
with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
    SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "dynamodb", "us-east-1").add_auth(req)
print(f'"{req.headers["Authorization"]}"')
