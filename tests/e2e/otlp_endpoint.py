#!/usr/bin/python3
"""otlp_endpoint.py — a loopback stand-in for the X-Ray OTLP endpoint
(https://xray.REGION.amazonaws.com/v1/traces), independent of the code under test: it verifies
each request's SigV4 signature with botocore's signer (service xray), refuses what the real
endpoint refuses (a bad or missing signature: 403; a body over 5 MB uncompressed: 413), takes
gzip, decodes protobuf with python3-protobuf from otlp_trace.proto (parsed here, no protoc) or
reads JSON, and appends each accepted request, in the OTLP JSON mapping with ids as hex, as one
line of OUT. Answers, in turn, the statuses listed in ANSWERS (200 when the list is used up; a
429 with Retry-After: 1; "partial": 200 with a partialSuccess of 2 rejected spans), each
refusal noted in OUT with its time.

usage: otlp_endpoint.py PORT REGION ACCESS_KEY SECRET_KEY OUT [ANSWERS, e.g. 429,503]
"""
import base64
import gzip
import http.server
import json
import os
import re
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PORT, REGION, KEY, SECRET, OUT = sys.argv[1:6]
ANSWERS = sys.argv[6].split(",") if len(sys.argv) > 6 and sys.argv[6] else []
LIMIT = 5 * 1024 * 1024

SCALARS = {
    "string": "TYPE_STRING", "bytes": "TYPE_BYTES", "bool": "TYPE_BOOL", "int32": "TYPE_INT32",
    "int64": "TYPE_INT64", "uint32": "TYPE_UINT32", "fixed32": "TYPE_FIXED32",
    "fixed64": "TYPE_FIXED64", "double": "TYPE_DOUBLE",
}


def load_proto(path):
    """The messages of a proto3 file of messages, fields and oneofs: what otlp_trace.proto has."""
    text = re.sub(r"//[^\n]*", "", open(path).read())
    package = re.search(r"package\s+(\w+);", text).group(1)
    fdp = descriptor_pb2.FileDescriptorProto(name="otlp_trace.proto", package=package, syntax="proto3")
    for name, body in re.findall(r"message\s+(\w+)\s*{((?:[^{}]|{[^{}]*})*)}", text):
        m = fdp.message_type.add(name=name)
        oneofs = {}
        for oneof, inner in re.findall(r"oneof\s+(\w+)\s*{([^}]*)}", body):
            oneofs[oneof] = inner
            m.oneof_decl.add(name=oneof)
        flat = re.sub(r"oneof\s+\w+\s*{[^}]*}", "", body)
        fields = [(None, f) for f in re.findall(r"(repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+);", flat)]
        for i, oneof in enumerate(oneofs):
            fields += [(i, f) for f in re.findall(r"(repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+);", oneofs[oneof])]
        for index, (repeated, ftype, fname, number) in fields:
            f = m.field.add(name=fname, number=int(number), json_name=re.sub(r"_(\w)", lambda x: x.group(1).upper(), fname))
            f.label = f.LABEL_REPEATED if repeated else f.LABEL_OPTIONAL
            if ftype in SCALARS:
                f.type = getattr(f, SCALARS[ftype])
            else:
                f.type = f.TYPE_MESSAGE
                f.type_name = "." + package + "." + ftype
            if index is not None:
                f.oneof_index = index
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    factory = message_factory.MessageFactory(pool)
    return lambda n: factory.GetPrototype(pool.FindMessageTypeByName(package + "." + n))


MESSAGE = load_proto(os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_trace.proto"))


def hex_ids(node):
    """bytes fields (base64 in protobuf's JSON) as the hex OTLP JSON writes them."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                node[k] = base64.b64decode(v).hex()
            else:
                hex_ids(v)
    elif isinstance(node, list):
        for v in node:
            hex_ids(v)


def signature_ok(handler, body):
    auth = handler.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m or m.group(1) != KEY or m.group(3) != REGION or m.group(4) != "xray":
        return False
    signed = m.group(5).split(";")
    headers = {h: handler.headers.get(h, "") for h in signed}
    req = AWSRequest(method="POST", url="http://%s%s" % (handler.headers["Host"], handler.path),
                     data=body, headers=headers)
    req.context["timestamp"] = handler.headers.get("X-Amz-Date", "")
    token = handler.headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(Credentials(KEY, SECRET, token), "xray", REGION)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    return expected == m.group(6)


class Endpoint(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body=b"", ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not signature_ok(self, body):
            return self.answer(403, b'{"message":"The request signature we calculated does not match"}')
        partial = False
        if ANSWERS:
            answer = ANSWERS.pop(0)
            partial = answer == "partial"
            status = 200 if partial else int(answer)
            if status != 200:
                with open(OUT, "a") as out:
                    out.write(json.dumps({"refused": status, "at": time.time()}) + "\n")
                return self.answer(status, b"{}", extra={"Retry-After": "1"} if status == 429 else None)
        if self.headers.get("Content-Encoding", "") == "gzip":
            body = gzip.decompress(body)
        if len(body) > LIMIT:
            return self.answer(413, b'{"message":"request too large"}')
        ctype = self.headers.get("Content-Type", "")
        if ctype == "application/x-protobuf":
            request = MESSAGE("ExportTraceServiceRequest")()
            request.ParseFromString(body)
            decoded = json_format.MessageToDict(request)
        else:
            decoded = json.loads(body)
        hex_ids(decoded)
        # spans outside the window the real endpoint takes (14 days past, 2 hours ahead) are rejected
        now = time.time() * 1e9
        outside = sum(1 for rs in decoded.get("resourceSpans", []) for ss in rs.get("scopeSpans", [])
                      for sp in ss.get("spans", [])
                      if not now - 14 * 86400e9 <= int(sp.get("startTimeUnixNano", 0)) <= now + 7200e9)
        partial = partial or outside > 0
        with open(OUT, "a") as out:
            out.write(json.dumps({"at": time.time(), "content_type": ctype, "encoding": self.headers.get("Content-Encoding", ""),
                                  "token": self.headers.get("X-Amz-Security-Token", ""), "request": decoded}) + "\n")
        if ctype == "application/x-protobuf":
            response = MESSAGE("ExportTraceServiceResponse")()
            if partial:
                response.partial_success.rejected_spans = outside or 2
                response.partial_success.error_message = "%d spans too old" % (outside or 2)
            self.answer(200, response.SerializeToString(), "application/x-protobuf")
        else:
            self.answer(200, b"{}")

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(PORT)), Endpoint).serve_forever()
