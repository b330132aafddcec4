// viewer_dom.mjs — the web view's layout, checked in headless Chromium through the DevTools
// protocol (no npm package: Node's WebSocket and fetch): where map labels sit relative to their
// edges, node colours by health, the timeline's time axis, names of remote calls, the trace
// list's name column, relative links (also under file://) and 404 for an unknown trace; and the
// console's interactions, driven with real mouse events: time range, histogram counts and a
// dragged range, map panels, health rings, pan and zoom, segment groups, folding a subtree,
// the details tabs. Screenshots go to OUTDIR. Usage:
//   node --experimental-websocket viewer_dom.mjs BASE_URL TRACE_ID FAULT_TRACE_ID STANDALONE_HTML OUTDIR \
//        LAMBDA_TRACE FIB_TRACE ERROR_TRACE OLD_TRACE
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';

const [base, traceId, faultId, standalone, outdir, lambdaId, fibId, errorId, oldId] = process.argv.slice(2);
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
const pending = new Map(), waiters = [], scriptErrors = [];
ws.addEventListener('message', ev => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
  } else if (msg.method === 'Runtime.exceptionThrown') {
    scriptErrors.push(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text);
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
await send('Runtime.enable', {}, sessionId);
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


async function shot(name) {
  const { data } = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
  writeFileSync(`${outdir}/${name}.png`, Buffer.from(data, 'base64'));
}
// Runs fn(arg) in the page.
async function pageWith(fn, arg) {
  const r = await send('Runtime.evaluate', { expression: `(${fn})(${JSON.stringify(arg)})`, returnByValue: true }, sessionId);
  if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
  return r.result.value;
}
// The viewport centre of the element a CSS selector finds, scrolled into view (null when none).
async function centre(selector) {
  return pageWith(sel => {
    const el = document.querySelector(sel);
    if (!el) return null;
    el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, selector);
}
const mouse = (type, p, extra = {}) => send('Input.dispatchMouseEvent',
  { type, x: p.x, y: p.y, button: type === 'mouseMoved' || type === 'mouseWheel' ? 'none' : 'left',
    clickCount: type === 'mouseMoved' || type === 'mouseWheel' ? 0 : 1, ...extra }, sessionId);
// A real click (move, press, release) at the element's centre.
async function click(selector) {
  const p = await centre(selector);
  if (!p) throw new Error('nothing to click: ' + selector);
  await mouse('mouseMoved', p);
  await mouse('mousePressed', p);
  await mouse('mouseReleased', p);
}
// Runs an action that makes the page navigate, and waits for the new page.
async function navigating(action) {
  const loaded = event('Page.loadEventFired');
  await action();
  await loaded;
}
const traceIds = () => [...document.querySelectorAll('#traces tr.trace td:first-child')].map(td => td.textContent);

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


// ---- the time range: a preset, a custom duration, a bad one
await open(`${base}/`);
let ids = await page(traceIds);
check(ids.includes(oldId) && ids.includes(lambdaId), 'the default range (15 min) lists the ten-minute-old trace', ids);
await navigating(() => click('p.range a[href="./?since=5m"]'));
ids = await page(traceIds);
check(!ids.includes(oldId) && ids.includes(lambdaId), "the '5 min' preset leaves the older trace out", ids);
check(await page(() => location.search) === '?since=5m', 'the range is carried in the URL');
await pageWith(v => { document.getElementById('since').value = v; }, '3d');
await navigating(() => click('form.range button'));
ids = await page(traceIds);
check(ids.includes(oldId) && await page(() => new URLSearchParams(location.search).get('since')) === '3d',
  'a custom range (3d) brings it back', ids);
// from one time to another, through the browser's own date-and-time fields (minutes, local time)
await pageWith(() => {
  const local = ms => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };
  document.getElementById('since').value = '';
  document.getElementById('from').value = local(Date.now() - 20 * 60000);
  document.getElementById('to').value = local(Date.now() - 5 * 60000);
});
await navigating(() => click('form.range button'));
ids = await page(traceIds);
check(ids.length === 1 && ids[0] === oldId, 'a custom span (20 to 5 minutes ago) lists only the trace from then', ids);
await open(`${base}/?since=soon`);
check(await page(() => !!document.getElementById('range-error')), 'a range that is not a duration is said so');

// ---- the histogram: counts per bucket, and a dragged range filters the list
const narrow = encodeURIComponent('responsetime < 0.09');
await open(`${base}/?since=1h&filter=${narrow}`, 'list-histogram');
const buckets = await page(() => [...document.querySelectorAll('svg.histogram a.bucket')].map(a =>
  ({ count: +a.dataset.count, from: +a.dataset.from, to: +a.dataset.to })));
// the traces under 90 ms: earlier 12, orders 33, fault-sample 52, fib-service 64, users 83 ms
check(JSON.stringify(buckets.map(b => b.count)) === JSON.stringify([0, 1, 0, 1, 0, 1, 1, 0, 1, 0]),
  'the histogram has the right count in each 10 ms bucket', buckets);
check(buckets.length === 10 && buckets[9].to === 0.1, 'the buckets run from 0 to a round ceiling (100 ms)', buckets.at(-1));
const from = await centre('svg.histogram a.bucket:nth-of-type(2) rect.hit');
const to = await centre('svg.histogram a.bucket:nth-of-type(6) rect.hit');
await navigating(async () => {
  await mouse('mouseMoved', from);
  await mouse('mousePressed', from);
  for (let i = 1; i <= 4; i++) await mouse('mouseMoved', { x: from.x + (to.x - from.x) * i / 4, y: from.y });
  await mouse('mouseReleased', to);
});
const dragged = await page(() => ({ filter: document.getElementById('filter').value,
  rows: [...document.querySelectorAll('#traces tr.trace td.name')].map(td => td.textContent).sort() }));
check(/responsetime >= 0.01 AND responsetime < 0.06/.test(dragged.filter), 'dragging across buckets 10-60 ms sets that range in the filter', dragged.filter);
check(await page(() => new URLSearchParams(location.search).get('since')) === '1h', 'and keeps the time range (1 hour)');
check(JSON.stringify(dragged.rows) === JSON.stringify(['earlier', 'fault-sample', 'orders']),
  'and the list holds the traces of that range', dragged.rows);

// ---- the map: rings, a node's panel and its traces, an edge's panel, pan and zoom
await open(`${base}/map`);
const nodeId = name => pageWith(n => [...document.querySelectorAll('.map g.node')]
  .find(g => g.querySelector('title').textContent === n)?.id, name);
const dynamo = await nodeId('DynamoDB');
const ring = await pageWith(id => {
  const g = document.getElementById(id), shape = g.querySelector('path,polygon');
  return { perimeter: shape.getTotalLength(), arcs: [...g.querySelectorAll('.ring')].map(a =>
    ({ cls: a.getAttribute('class'), count: +a.dataset.count, len: parseFloat(a.getAttribute('stroke-dasharray')) })) };
}, dynamo);
const arcOf = k => ring.arcs.find(a => a.cls === 'ring ring-' + k);
check(arcOf('ok') && arcOf('throttle') && ring.arcs.length === 2 && Math.abs(arcOf('ok').len / ring.perimeter - 3 / 4) < 0.01 &&
  Math.abs(arcOf('throttle').len / ring.perimeter - 1 / 4) < 0.01,
  "DynamoDB's ring: three quarters OK, one quarter throttled, as its 4 calls", ring);
const sums = await page(() => [...document.querySelectorAll('.map g.node')].map(g => {
  const shape = g.querySelector('path,polygon'), arcs = [...g.querySelectorAll('.ring')];
  return arcs.length ? Math.abs(arcs.reduce((a, r) => a + parseFloat(r.getAttribute('stroke-dasharray')), 0) - shape.getTotalLength()) : 0;
}));
check(sums.every(d => d < 0.5), "every ring's arcs go once round its node", sums);
check(await page(() => document.querySelectorAll('.legend .key').length) === 4, 'the map has a legend of the four healths');
const fit = await page(() => { const svg = document.querySelector('.map svg');
  return { right: svg.getBoundingClientRect().right, window: innerWidth, natural: svg.viewBox.baseVal.width * 4 / 3 }; });
check(fit.natural > fit.window && fit.right <= fit.window, 'a map wider than the window fits it (scaled down, then zoomed)', fit);
const edgeTexts = await page(() => [...document.querySelectorAll('.map g.edge')].map(g => g.textContent));
check(edgeTexts.some(t => /50% error, 0% fault, 50% throttle/.test(t)), "the throttled edge's label gives its throttle share", edgeTexts);
await click(`#${dynamo} text`);
const panel = await pageWith(id => {
  const p = document.getElementById('panel-' + id);
  const open = [...document.querySelectorAll('#panels .panel')].filter(x => !x.hidden).map(x => x.id);
  return { open, requests: p.querySelector('.requests').textContent, throttle: p.querySelector('td.throttle').textContent,
    buckets: p.querySelectorAll('a.bucket').length, link: !!p.querySelector('a.view-traces') };
}, dynamo);
check(panel.open.length === 1 && panel.open[0] === 'panel-' + dynamo, "clicking a node opens its panel, alone", panel.open);
check(panel.requests === '4' && panel.throttle.startsWith('1 ') && panel.buckets === 10 && panel.link,
  "the node's panel gives its requests, health, histogram and a link to its traces", panel);
await shot('map-panel');
await navigating(() => click(`#panel-${dynamo} a.view-traces`));
const viaNode = await page(() => [...document.querySelectorAll('#traces tr.trace td.name')].map(td => td.textContent).sort());
check(JSON.stringify(viaNode) === JSON.stringify(['fault-sample', 'users', 'users-api']), "'View traces' lists the traces that called DynamoDB", viaNode);
await open(`${base}/map`);
const edgeId = await page(() => [...document.querySelectorAll('.map g.edge')]
  .find(g => g.querySelector('title').textContent.includes('Function') && g.querySelector('title').textContent.endsWith('DynamoDB'))?.id);
await click(`#${edgeId} text`);
const edgePanel = await pageWith(id => { const p = document.getElementById('panel-' + id);
  return p && !p.hidden ? { requests: p.querySelector('.requests').textContent, link: p.querySelector('a.view-traces')?.getAttribute('href') } : null; }, edgeId);
check(edgePanel && edgePanel.requests === '2' && /edge/.test(decodeURIComponent(edgePanel.link || '')), "clicking an edge opens its panel, with its own traces' filter", edgePanel);
const viewBox = () => page(() => document.querySelector('.map svg').getAttribute('viewBox').split(/[ ,]+/).map(Number));
const vb0 = await viewBox();
await click('#zoom-in');
const vb1 = await viewBox();
check(Math.abs(vb1[2] / vb0[2] - 0.8) < 1e-6 && Math.abs(vb1[3] / vb0[3] - 0.8) < 1e-6, "'+' zooms in: the viewBox shrinks to 80%", [vb0, vb1]);
const mid = await centre('.map svg');
await mouse('mouseWheel', mid, { deltaX: 0, deltaY: -100 });
const vb2 = await viewBox();
check(vb2[2] < vb1[2], 'the wheel zooms in too', [vb1, vb2]);
const blank = await pageWith(() => { const r = document.querySelector('.map svg').getBoundingClientRect();
  return { x: r.x + 5, y: r.y + 5 }; });
await mouse('mouseMoved', blank);
await mouse('mousePressed', blank);
await mouse('mouseMoved', { x: blank.x + 60, y: blank.y + 30 });
await mouse('mouseReleased', { x: blank.x + 60, y: blank.y + 30 });
const vb3 = await viewBox();
check(vb3[0] < vb2[0] && vb3[1] < vb2[1] && vb3[2] === vb2[2], 'dragging pans: the viewBox moves, its size kept', [vb2, vb3]);
await click('#zoom-reset');
check(JSON.stringify(await viewBox()) === JSON.stringify(vb0), "'Reset' restores the whole map");

// ---- the timeline: groups, status, folding, details tabs
await open(`${base}/trace/${lambdaId}`, 'timeline-lambda');
const groups = await page(() => [...document.querySelectorAll('#timeline g.group')].map(g => g.textContent));
check(JSON.stringify(groups) === JSON.stringify(['users (AWS::Lambda)', 'users (AWS::Lambda::Function)']),
  'a Lambda trace: a group per segment, labelled with name and origin', groups);
const rowsOf = () => [...document.querySelectorAll('#timeline g.bar')].filter(g => g.style.display !== 'none').map(g => ({
  name: g.querySelector('title').textContent, status: g.querySelector('text.status').textContent,
  x: +g.querySelector('rect').getAttribute('x'), y: g.querySelector('rect').getBoundingClientRect().y }));
const lambdaRows = await page(rowsOf);
check(lambdaRows.some(r => r.name === 'DynamoDB PutItem Users' && r.status === '429 Throttle'),
  'each row has its status: the throttled call says 429 Throttle', lambdaRows.map(r => [r.name, r.status]));
check(lambdaRows[1] && lambdaRows[1].x > lambdaRows[0].x, "the function's segment starts later on the one axis", lambdaRows.slice(0, 2));
await open(`${base}/trace/${fibId}`);
const before = await page(rowsOf);
check(before.length === 16, 'the recursive trace shows its 16 rows', before.length);
await click('#timeline g.bar[data-row="3"] text.toggle');
const after = await page(rowsOf);
check(after.length === 8, 'folding fib(4) hides its 8 descendants', after.length);
check(after[3] && before[11] && Math.abs((before[11].y - after[3].y) - 8 * 24) < 1, 'and the rows below move up into the gap',
  [before[11], after[3]]);
await shot('timeline-folded');
await click('#timeline g.bar[data-row="3"] text.toggle');
check((await page(rowsOf)).length === 16, 'unfolding shows them again');
await open(`${base}/trace/${errorId}`);
await click('#timeline g.bar[data-id="0e00000000000001"] rect');
await click('#details-panel button[data-tab="annotations"]');
check(/customer\s*c-17/.test(await page(() => document.getElementById('details').textContent)), 'the Annotations tab shows the annotations');
await click('#details-panel button[data-tab="metadata"]');
check(/"items": 3/.test(await page(() => document.getElementById('details').textContent)), 'the Metadata tab shows the metadata');
await click('#timeline g.bar[data-id="0e00000000000002"] rect');
await click('#details-panel button[data-tab="exceptions"]');
const exc = await page(() => document.getElementById('details').textContent);
check(exc.includes('std::invalid_argument: bad quantity') && exc.includes('at parse_order (src/orders.cpp:42)') &&
  exc.includes('at main (src/main.cpp:7)'), 'the Exceptions tab shows the exception with its stack', exc);
await shot('details-exceptions');
await click('#details-panel button[data-tab="overview"]');
check(/Status\s*400/.test(await page(() => document.getElementById('details').textContent)) === false &&
  /Fault\s*true/.test(await page(() => document.getElementById('details').textContent)), "the Overview tab gives the call's own flags");
await open('about:blank'); // from the same page, a new hash would not load the page again
await open(`${base}/trace/${errorId}#entity=0e00000000000002&tab=exceptions`);
check((await page(() => document.getElementById('details').textContent)).includes('bad quantity'), 'a link can open one entity at one tab');

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

check(scriptErrors.length === 0, 'no page threw a script error', scriptErrors);

ws.close();
chrome.kill();
console.log(`viewer DOM: ${passed} passed, ${failed} failed (screenshots in ${outdir})`);
process.exit(failed ? 1 : 0);
