#!/usr/bin/python3
"""A stand-in for the X-Ray API's PutTraceSegments that checks what the xray-api emitter
sends: the SigV4 signature is recomputed independently with Debian's botocore (from the
headers the request says it signed), and the body must be a TraceSegmentDocuments batch of
at most 50 documents that each parse as an X-Ray document of the right trace.

Usage: xray_api_server.py ACCESS_KEY SECRET [TOKEN]. Prints "PORT n", then one line per
request: "OK docs=N" when everything checks, "BAD reason" otherwise (answered 403/400)."""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET = sys.argv[1], sys.argv[2]
TOKEN = sys.argv[3] if len(sys.argv) > 3 else None


def say(line):
    print(line, flush=True)


def parse_authorization(value):
    scheme, _, rest = value.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        raise ValueError("scheme %r" % scheme)
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    key, date, region, service, term = parts["Credential"].split("/")
    return key, date, region, service, term, parts["SignedHeaders"], parts["Signature"]


def check_signature(handler, body):
    key, date, region, service, term, signed, signature = parse_authorization(
        handler.headers["Authorization"])
    if key != KEY or service != "xray" or term != "aws4_request":
        return "credential scope %s/%s/%s/%s" % (key, region, service, term)
    amz_date = handler.headers["X-Amz-Date"]
    if not amz_date or amz_date[:8] != date:
        return "X-Amz-Date %r does not match the scope date %r" % (amz_date, date)
    if len(handler.headers.get_all("X-Amz-Date")) != 1:
        return "X-Amz-Date sent more than once"
    if TOKEN is not None and handler.headers.get("X-Amz-Security-Token") != TOKEN:
        return "session token missing or wrong"
    names = signed.split(";")
    headers = {n: handler.headers[n] for n in names}
    if any(v is None for v in headers.values()):
        return "a signed header is missing"
    url = "http://%s%s" % (handler.headers["Host"], handler.path)
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(KEY, SECRET, TOKEN), "xray", region)
    if auth.signed_headers(auth.headers_to_sign(request)) != signed:
        return "botocore would sign %s, not %s" % (
            auth.signed_headers(auth.headers_to_sign(request)), signed)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        return "signature mismatch (canonical request:\n%s)" % canonical
    return None


def check_body(body):
    batch = json.loads(body)
    docs = batch.get("TraceSegmentDocuments")
    if not isinstance(docs, list) or not 1 <= len(docs) <= 50:
        return None, "TraceSegmentDocuments must hold 1 to 50 documents"
    for text in docs:
        doc = json.loads(text)
        for field in ("name", "id", "trace_id", "start_time"):
            if field not in doc:
                return None, "a document lacks %s" % field
        if len(text.encode()) > 64 * 1024:
            return None, "a document is over 64 KiB"
    return len(docs), None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            problem = None if self.path == "/TraceSegments" else "path %s" % self.path
            problem = problem or check_signature(self, body)
            count, body_problem = check_body(body) if not problem else (0, None)
            problem = problem or body_problem
        except Exception as e:  # a malformed request is a finding, not a crash
            problem = "unreadable request: %r" % e
        if problem:
            say("BAD " + problem.replace("\n", " | "))
            reply, status = {"message": problem}, 403
        else:
            say("OK docs=%d" % count)
            reply, status = {"UnprocessedTraceSegments": []}, 200
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = HTTPServer(("127.0.0.1", 0), Handler)
say("PORT %d" % server.server_address[1])
server.serve_forever()
