// request_id_proxy.js — sits in front of s3rver and adds the x-amz-request-id header that real
// S3 sends and s3rver does not. usage: node request_id_proxy.js LISTEN_PORT S3RVER_PORT
'use strict';
const http = require('http');
const crypto = require('crypto');

const listen = Number(process.argv[2]);
const target = Number(process.argv[3]);
if (!listen || !target) {
  console.error('usage: node request_id_proxy.js LISTEN_PORT S3RVER_PORT');
  process.exit(2);
}
http.createServer((req, res) => {
  const upstream = http.request(
    { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const headers = { ...answer.headers, 'x-amz-request-id': crypto.randomBytes(8).toString('hex').toUpperCase() };
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    });
  upstream.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(upstream);
}).listen(listen, '127.0.0.1');
