// viewer_dom.mjs — the web view's layout, checked in headless Chromium through the DevTools
// protocol (no npm package: Node's WebSocket and fetch): where map labels sit relative to their
// edges, node colours by health, the timeline's time axis, names of remote calls, the trace
// list's name column, relative links (also under file://) and 404 for an unknown trace.
// Screenshots go to OUTDIR. Usage:
//   node --experimental-websocket viewer_dom.mjs BASE_URL TRACE_ID FAULT_TRACE_ID STANDALONE_HTML OUTDIR
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';

const [base, traceId, faultId, standalone, outdir] = process.argv.slice(2);
mkdirSync(outdir, { recursive: true });
let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log(`  ok: ${what}`); }
  else { failed++; console.log(`  FAILED: ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`); }
}

const chrome = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
  `--user-data-dir=${outdir}/profile`, '--remote-debugging-port=0', '--window-size=1280,1000', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  let text = '';
  const timer = setTimeout(() => reject(new Error('chromium did not start: ' + text)), 30000);
  chrome.stderr.on('data', d => {
    text += d;
    const m = text.match(/DevTools listening on (ws:\S+)/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
});

const ws = new WebSocket(wsUrl);
await new Promise(r => ws.addEventListener('open', r));
let nextId = 1;
const pending = new Map(), waiters = [];
ws.addEventListener('message', ev => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
  } else if (msg.method) {
    for (const w of waiters.splice(0)) (w.method === msg.method ? w.resolve : () => waiters.push(w))(msg);
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
const event = method => new Promise(resolve => waiters.push({ method, resolve }));

const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
await send('Page.enable', {}, sessionId);
await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false }, sessionId);

async function open(url, shot) {
  const loaded = event('Page.loadEventFired');
  await send('Page.navigate', { url }, sessionId);
  await loaded;
  if (shot) {
    const { data } = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
    writeFileSync(`${outdir}/${shot}.png`, Buffer.from(data, 'base64'));
  }
}
async function page(fn) {
  const r = await send('Runtime.evaluate', { expression: `(${fn})()`, returnByValue: true }, sessionId);
  if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
  return r.result.value;
}

// Runs in the page: every link is relative.
const relativeLinks = () => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
  .filter(h => h.startsWith('/') || /^[a-z]+:/i.test(h));

// ---- the trace list
await open(`${base}/`, 'list');
const list = await page(() => {
  const heads = [...document.querySelectorAll('#traces th')].map(th => th.textContent);
  const names = [...document.querySelectorAll('#traces tr.trace td.name')].map(td => td.textContent);
  return { heads, names };
});
check(list.heads.includes('Name'), 'the trace list has a Name column', list.heads);
check(list.names.includes('capture-sample'), "the capture sample's trace is listed by its name", list.names);
check((await page(relativeLinks)).length === 0, 'the trace list links relatively');

// ---- a trace's timeline
await open(`${base}/trace/${traceId}`, 'timeline');
const tl = await page(() => {
  const svg = document.getElementById('timeline');
  const ticks = [...svg.querySelectorAll('g.tick')].map(g => ({
    x: g.querySelector('line').getBBox().x, label: g.querySelector('text').textContent }));
  const bars = [...svg.querySelectorAll('g.bar')].map(g => ({
    label: g.querySelector('text.label').textContent,
    x: +g.querySelector('rect').getAttribute('x'), w: +g.querySelector('rect').getAttribute('width'),
    labelRight: g.querySelector('text.label').getBBox().x + g.querySelector('text.label').getBBox().width }));
  return { ticks, bars };
});
check(tl.ticks.length >= 3, 'the timeline has a time axis with ticks', tl.ticks.length);
check(tl.ticks.every((t, i) => i === 0 || t.x > tl.ticks[i - 1].x), 'the ticks run left to right');
check(tl.ticks[0] && tl.ticks[0].label === '0 ms', 'the axis starts at 0 ms', tl.ticks[0]);
const ms = tl.ticks.map(t => parseFloat(t.label));
check(ms.every((v, i) => i < 2 || Math.abs((v - ms[i - 1]) - (ms[1] - ms[0])) < 1e-9), 'the ticks are evenly spaced', ms);
const root = tl.bars[0];
check(root && Math.abs(root.x - tl.ticks[0].x) < 1, "the trace's first bar starts at the 0 ms tick", [root, tl.ticks[0]]);
check(tl.bars.every(b => b.labelRight <= tl.bars[0].x + 1), 'row names end before the bars begin',
  tl.bars.filter(b => b.labelRight > tl.bars[0].x + 1));
check((await page(relativeLinks)).length === 0, 'the trace page links relatively');

// ---- the map: colours by health, labels beside their edges, nothing overlapping
await open(`${base}/trace/${faultId}`, 'map-fault');
const map = await page(() => {
  const box = el => { const b = el.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
  const nodes = [...document.querySelectorAll('.map g.node')].map(g => ({
    name: g.querySelector('title').textContent, cls: g.getAttribute('class'),
    fill: g.querySelector('path,polygon').getAttribute('fill'), box: box(g) }));
  const edges = [...document.querySelectorAll('.map g.edge')].map(g => {
    const path = g.querySelector('path');
    const len = path.getTotalLength(), pts = [];
    for (let i = 0; i <= 50; i++) { const p = path.getPointAtLength(len * i / 50); pts.push([p.x, p.y]); }
    const labels = [...g.querySelectorAll('text')];
    const lb = labels.map(box).reduce((a, b) => ({ x: Math.min(a.x, b.x), y: Math.min(a.y, b.y),
      w: Math.max(a.x + a.w, b.x + b.w) - Math.min(a.x, b.x), h: Math.max(a.y + a.h, b.y + b.h) - Math.min(a.y, b.y) }));
    const cx = lb.x + lb.w / 2, cy = lb.y + lb.h / 2;
    const dist = Math.min(...pts.map(([x, y]) => Math.hypot(x - cx, y - cy)));
    return { text: labels.map(t => t.textContent).join(' / '), dist, box: lb };
  });
  return { nodes, edges };
});
// a row's full name is its tooltip (<title>); the visible label may be cut with an ellipsis
const labels = await page(() => [...document.querySelectorAll('#timeline g.bar > title')].map(t => t.textContent));
check(labels.includes('payments POST https://payments.internal:8443/charge'),
  'a remote call is named with its method and URL', labels);
check(labels.includes('DynamoDB GetItem Orders'), 'an AWS call is named with its operation and table', labels);
const byName = Object.fromEntries(map.nodes.map(n => [n.name, n]));
check(byName.payments && /\bfault\b/.test(byName.payments.cls) && byName.payments.fill === '#fed7d7',
  'a node whose calls failed is red (fault)', byName.payments);
check(byName.DynamoDB && /\bok\b/.test(byName.DynamoDB.cls) && byName.DynamoDB.fill === '#c6f6d5',
  'a healthy node is green', byName.DynamoDB);
check(byName['fault-sample'] && /\bfault\b/.test(byName['fault-sample'].cls), 'a service that answered with a fault is red',
  byName['fault-sample']);
check(byName.client && /\bclient\b/.test(byName.client.cls), 'the client node is drawn as the client', byName.client);
check(map.edges.length >= 2 && map.edges.every(e => /req, [\d.]+ ms avg/.test(e.text)),
  'every edge is labelled with requests and latency', map.edges.map(e => e.text));
check(map.edges.every(e => e.dist < 40), "each edge's label sits beside its edge (within 40 px)",
  map.edges.map(e => [e.text, Math.round(e.dist)]));
check(map.edges.some(e => /100% fault/.test(e.text)), "the failing edge's label gives its fault share");
const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const boxes = [...map.edges.map(e => ['label ' + e.text, e.box]), ...map.nodes.map(n => ['node ' + n.name, n.box])];
const clashes = [];
for (let i = 0; i < boxes.length; i++)
  for (let j = i + 1; j < boxes.length; j++)
    if (overlap(boxes[i][1], boxes[j][1])) clashes.push([boxes[i][0], boxes[j][0]]);
check(clashes.length === 0, 'no label overlaps another label or a node', clashes);
await open(`${base}/map`, 'map');
check(await page(() => document.querySelectorAll('.map g.node').length) >= 3, 'the map page draws the services');

// ---- a saved page under file://
await open(`file://${standalone}`, 'standalone');
const saved = await page(() => ({ bars: document.querySelectorAll('#timeline g.bar').length,
  links: document.querySelectorAll('a[href]').length, map: !!document.querySelector('.map svg') }));
check(saved.bars > 0 && saved.map, 'the saved page (xraycap html) shows the timeline and the map under file://', saved);
check(saved.links === 0, 'the saved page has no links to a server it does not have', saved.links);

// ---- unknown trace
const bogus = await fetch(`${base}/trace/bogus`);
check(bogus.status === 404, '/trace/bogus answers 404', bogus.status);
const missing = await fetch(`${base}/no-such-page`);
check(missing.status === 404, 'an unknown page answers 404', missing.status);

ws.close();
chrome.kill();
console.log(`viewer DOM: ${passed} passed, ${failed} failed (screenshots in ${outdir})`);
process.exit(failed ? 1 : 0);
