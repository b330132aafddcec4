// node_xray_bench.js — the same emission figures for the Node.js X-Ray SDK (npm
// aws-xray-sdk-core), run by emit_bench in the same session for comparison.
//   node node_xray_bench.js MODULE_DIR serialize N SECONDS   -> documents formatted per second
//   node node_xray_bench.js MODULE_DIR send N SEGMENTS PORT   -> sends to 127.0.0.1:PORT
//   node node_xray_bench.js MODULE_DIR annotate N SEGMENTS PORT -> workload W (caller_bench):
//        segments of N subsegments with one number annotation each, ns per subsegment
'use strict';
const [moduleDir, mode, nArg, amountArg, portArg] = process.argv.slice(2);
const AWSXRay = require(moduleDir + '/aws-xray-sdk-core');
const quiet = { error() {}, warn() {}, info() {}, debug() {} };
AWSXRay.setLogger(quiet);
const n = Number(nArg);

function segmentWith(subsegments) {
  const seg = new AWSXRay.Segment('bench');
  for (let i = 0; i < subsegments; i++) seg.addNewSubsegment('work').close();
  return seg;
}

if (mode === 'annotate') {
  AWSXRay.setDaemonAddress('127.0.0.1:' + portArg);
  const segments = Number(amountArg);
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < segments; k++) {
    const seg = new AWSXRay.Segment('bench');
    for (let i = 0; i < n; i++) {
      const sub = seg.addNewSubsegment('work');
      sub.addAnnotation('n', i);
      sub.close();
    }
    seg.close();
  }
  const ns = Number(process.hrtime.bigint() - t0) / (segments * n);
  console.log(JSON.stringify({ ns_per_subsegment: ns }));
} else if (mode === 'serialize') {
  const seg = segmentWith(n);
  seg.end_time = seg.start_time + 0.001;
  delete seg.in_progress;
  const seconds = Number(amountArg);
  let docs = 0, bytes = 0;
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < until) {
    for (let i = 0; i < 100; i++) bytes += seg.format().length, docs++;
    now = process.hrtime.bigint();
  }
  const s = Number(now - t0) / 1e9;
  console.log(JSON.stringify({ docs_per_s: docs / s, bytes_per_doc: bytes / docs }));
} else if (mode === 'send') {
  AWSXRay.setDaemonAddress('127.0.0.1:' + portArg);
  const segments = Number(amountArg);
  const t0 = process.hrtime.bigint();
  let made = 0;
  (async () => {
    while (made < segments) {
      for (let i = 0; i < 200 && made < segments; i++, made++) {
        const seg = segmentWith(n);
        seg.close();
      }
      await new Promise(setImmediate); // let the UDP sends go out
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ seconds: s, segments: made }));
  })();
}
