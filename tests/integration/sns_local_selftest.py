#!/usr/bin/python3
"""tests/doubles/sns_local.py checked with botocore's own SNS client and signer: the
double must answer like SNS (botocore parses its XML into the modelled
results and errors) and refuse what AWS refuses (bad, stale or unsigned
requests).

  /usr/bin/python3 tests/integration/sns_local_selftest.py
"""
import datetime
import http.client
import os
import signal
import subprocess
import sys
import unittest
import urllib.parse
from unittest import mock

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
import sns_testlib as lib  # noqa: E402

SNS = None


def client(key=lib.KEY_ID, secret=lib.SECRET, token=None, region=lib.REGION):
    return botocore.session.get_session().create_client(
        "sns", region_name=region, endpoint_url=SNS.url, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def error_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", ""))
    raise AssertionError("expected an error response")


def raw_post(body, key=lib.KEY_ID, secret=lib.SECRET, token=None, when=None, sign=True,
             tamper=None, region=lib.REGION):
    """POSTs body signed by botocore (optionally at another time, then tampered)."""
    req = AWSRequest(method="POST", url=SNS.url + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    if sign:
        signer = SigV4Auth(Credentials(key, secret, token), "sns", region)
        if when is None:
            signer.add_auth(req)
        else:
            with mock.patch("botocore.auth.datetime") as dt:
                dt.datetime.utcnow.return_value = when
                dt.datetime.strptime = datetime.datetime.strptime
                signer.add_auth(req)
    headers = dict(req.headers.items())
    data = tamper if tamper is not None else body
    conn = http.client.HTTPConnection("127.0.0.1", SNS.port, timeout=10)
    conn.request("POST", "/", body=data, headers=headers)
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    return r.status, text


PUBLISH = urllib.parse.urlencode({"Action": "Publish", "Version": "2010-03-31",
                                  "TopicArn": lib.TOPIC_ARN, "Message": "hello"})


class BotocoreClient(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def test_create_topic_publish_list_parse_like_sns(self):
        c = client()
        arn = c.create_topic(Name="second-topic")["TopicArn"]
        self.assertEqual(arn, f"arn:aws:sns:{lib.REGION}:{lib.ACCOUNT}:second-topic")
        r = c.publish(TopicArn=arn, Message="m", Subject="s",
                      MessageAttributes={"accuracy": {"DataType": "Number",
                                                      "StringValue": "0.5"}})
        self.assertRegex(r["MessageId"], r"^[0-9a-f-]{36}$")
        self.assertIn(arn, [t["TopicArn"] for t in c.list_topics()["Topics"]])
        (pub,) = SNS.published()
        self.assertEqual((pub["messageId"], pub["subject"]), (r["MessageId"], "s"))

    def test_session_token_accepted(self):
        r = client(lib.TEMP_KEY_ID, lib.TEMP_SECRET, lib.TOKEN).publish(
            TopicArn=lib.TOPIC_ARN, Message="m")
        self.assertTrue(r["MessageId"])

    def test_unknown_topic_not_found_404(self):
        code = error_of(client().publish, TopicArn=lib.TOPIC_ARN + "x", Message="m")
        self.assertEqual(code[:2], ("NotFound", 404))

    def test_long_subject_invalid_parameter_400(self):
        code = error_of(client().publish, TopicArn=lib.TOPIC_ARN, Message="m", Subject="x" * 100)
        self.assertEqual(code[:2], ("InvalidParameter", 400))

    def test_subject_starting_with_space_or_with_control_or_non_ascii_rejected(self):
        for subject in (" starts with a space", "line\nbreak", "tab\there", "caf\u00e9"):
            with self.subTest(subject=subject):
                code = error_of(client().publish, TopicArn=lib.TOPIC_ARN, Message="m",
                                Subject=subject)
                self.assertEqual(code[:2], ("InvalidParameter", 400))
        self.assertEqual(SNS.published(), [])

    def test_message_not_utf8_invalid_parameter_400(self):
        body = PUBLISH.replace("Message=hello", "Message=caf%E9+%FF")
        status, text = raw_post(body)
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>InvalidParameter</Code>", text)
        self.assertEqual(SNS.published(), [])
        status, text = raw_post(PUBLISH.replace("Message=hello", "Message=caf%C3%A9"))
        self.assertEqual(status, 200, text)

    def test_non_numeric_number_attribute_rejected(self):
        code = error_of(client().publish, TopicArn=lib.TOPIC_ARN, Message="m",
                        MessageAttributes={"a": {"DataType": "Number", "StringValue": "x"}})
        self.assertEqual(code[:2], ("ParameterValueInvalid", 400))

    def test_injected_faults_throttling_429_and_internal_error_500(self):
        SNS.fault(code="Throttling", status=429, count=1)
        SNS.fault(code="InternalError", count=1)
        c = client()
        self.assertEqual(error_of(c.publish, TopicArn=lib.TOPIC_ARN, Message="m")[:2],
                         ("Throttling", 429))
        self.assertEqual(error_of(c.publish, TopicArn=lib.TOPIC_ARN, Message="m")[:2],
                         ("InternalError", 500))
        self.assertTrue(c.publish(TopicArn=lib.TOPIC_ARN, Message="m")["MessageId"])

    def test_wrong_secret_signature_does_not_match_403(self):
        code = error_of(client(secret="not-the-secret").publish, TopicArn=lib.TOPIC_ARN,
                        Message="m")
        self.assertEqual(code[:2], ("SignatureDoesNotMatch", 403))

    def test_unknown_key_and_missing_token_invalid_client_token_id(self):
        self.assertEqual(error_of(client(key="AKIDUNKNOWN").publish, TopicArn=lib.TOPIC_ARN,
                                  Message="m")[:2], ("InvalidClientTokenId", 403))
        self.assertEqual(error_of(client(lib.TEMP_KEY_ID, lib.TEMP_SECRET).publish,
                                  TopicArn=lib.TOPIC_ARN, Message="m")[:2],
                         ("InvalidClientTokenId", 403))

    def test_wrong_region_scope_rejected(self):
        code = error_of(client(region="eu-west-1").publish, TopicArn=lib.TOPIC_ARN, Message="m")
        self.assertEqual(code[:2], ("SignatureDoesNotMatch", 403))


class RawRequests(unittest.TestCase):
    def setUp(self):
        SNS.reset()

    def test_signed_raw_request_accepted(self):
        status, text = raw_post(PUBLISH)
        self.assertEqual(status, 200, text)
        self.assertIn("<MessageId>", text)

    def test_body_changed_after_signing_rejected(self):
        status, text = raw_post(PUBLISH, tamper=PUBLISH.replace("hello", "hellO"))
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", text)
        self.assertEqual(SNS.published(), [])

    def test_signature_older_than_15_minutes_rejected(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        status, text = raw_post(PUBLISH, when=old)
        self.assertEqual(status, 403)
        self.assertIn("Signature expired", text)

    def test_unsigned_request_missing_authentication_token(self):
        status, text = raw_post(PUBLISH, sign=False)
        self.assertEqual(status, 403)
        self.assertIn("<Code>MissingAuthenticationToken</Code>", text)


class Fifo(unittest.TestCase):
    """FIFO rules as the SNS API reference (Publish) states them, seen through botocore."""

    def setUp(self):
        SNS.reset()

    def fifo_topic(self, content_dedup):
        name = "fifo-cbd.fifo" if content_dedup else "fifo-plain.fifo"
        return client().create_topic(Name=name, Attributes={
            "FifoTopic": "true", "ContentBasedDeduplication": str(content_dedup).lower()})["TopicArn"]

    def test_fifo_publish_without_group_id_is_invalid_parameter(self):
        code = error_of(client().publish, TopicArn=self.fifo_topic(False), Message="m",
                        MessageDeduplicationId="d")
        self.assertEqual(code, ("InvalidParameter", 400, "Invalid parameter: The MessageGroupId "
                                "parameter is required for FIFO topics"))

    def test_fifo_publish_without_dedup_id_needs_content_based_deduplication(self):
        code = error_of(client().publish, TopicArn=self.fifo_topic(False), Message="m",
                        MessageGroupId="g")
        self.assertEqual(code[:2], ("InvalidParameter", 400))
        self.assertIn("ContentBasedDeduplication", code[2])
        arn = self.fifo_topic(True)
        r1 = client().publish(TopicArn=arn, Message="same", MessageGroupId="g")
        r2 = client().publish(TopicArn=arn, Message="same", MessageGroupId="g")
        self.assertTrue(r1["SequenceNumber"] and r2["SequenceNumber"])
        self.assertEqual(len(SNS.published()), 1)  # the second is a duplicate: not delivered

    def test_same_dedup_id_within_five_minutes_is_accepted_not_delivered(self):
        arn = self.fifo_topic(False)
        for body in ("one", "two"):
            r = client().publish(TopicArn=arn, Message=body, MessageGroupId="g",
                                 MessageDeduplicationId="batch-1")
            self.assertTrue(r["MessageId"])
        client().publish(TopicArn=arn, Message="three", MessageGroupId="g",
                         MessageDeduplicationId="batch-2")
        self.assertEqual([p["message"] for p in SNS.published()], ["one", "three"])

    def test_standard_topic_refuses_dedup_id_accepts_group_id(self):
        code = error_of(client().publish, TopicArn=lib.TOPIC_ARN, Message="m",
                        MessageDeduplicationId="d")
        self.assertEqual(code[:2], ("InvalidParameter", 400))
        self.assertIn("not valid for this topic type", code[2])
        self.assertTrue(client().publish(TopicArn=lib.TOPIC_ARN, Message="m",
                                         MessageGroupId="g")["MessageId"])

    def test_ids_must_be_1_to_128_letters_digits_or_punctuation(self):
        arn = self.fifo_topic(False)
        for bad in ("with space", "x" * 129, "caf\u00e9"):
            with self.subTest(bad=bad):
                code = error_of(client().publish, TopicArn=arn, Message="m", MessageGroupId="g",
                                MessageDeduplicationId=bad)
                self.assertEqual(code[:2], ("InvalidParameter", 400))
        self.assertTrue(client().publish(TopicArn=arn, Message="m", MessageGroupId="g",
                                         MessageDeduplicationId="x" * 128)["MessageId"])


class Cli(unittest.TestCase):
    def test_help_exits_zero(self):
        p = subprocess.run([lib.PY, os.path.join(lib.DOUBLES, "sns_local.py"), "--help"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--credentials", p.stdout)

    def test_sigterm_stops_cleanly(self):
        other = lib.LocalSns()
        try:
            other.proc.send_signal(signal.SIGTERM)
            self.assertEqual(other.proc.wait(timeout=30), 0)
            self.assertIn("listening on http://127.0.0.1:", other.output())
        finally:
            other.stop()


def main():
    global SNS
    SNS = lib.LocalSns()
    try:
        return lib.run("sns-local", BotocoreClient, RawRequests, Fifo, Cli)
    finally:
        SNS.stop()


if __name__ == "__main__":
    sys.exit(main())
