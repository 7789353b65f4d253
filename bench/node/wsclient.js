// A load generator for bench/fanout.py --load node: thousands of `ws` clients in one Node
// process, driven by JSON lines on stdin, answered on stdout (bench/_nodeload.py):
//
//   {"op": "open", "name", "port", "path", "count", "sources"} -> {"opened": n, "failures": f}
//   {"op": "stamps", "name", "version", "timeout"}  -> {"stamps": [ns, ...]}
//   {"op": "close", "name"}                          -> {"closed": true}
//
// Each client stamps process.hrtime.bigint() (CLOCK_MONOTONIC, as Python's time.monotonic_ns)
// when a whole message has arrived, and records the first arrival of each data-version.
// Compression is not offered.  Install once: npm install --prefix bench/node (bench only).
"use strict";

const readline = require("node:readline");
const WebSocket = require("ws");

const MARK = Buffer.from('data-version="');
const pools = new Map(); // name -> {clients, size, arrivals: Map(version -> [ns]), waiters}

function version(data) {
  const i = data.indexOf(MARK);
  if (i < 0) return null;
  const start = i + MARK.length;
  const end = data.indexOf(0x22, start);
  const v = Number(data.toString("latin1", start, end));
  return Number.isInteger(v) ? v : null;
}

function pool(name) {
  if (!pools.has(name)) {
    pools.set(name, { clients: [], size: 0, arrivals: new Map(), waiters: new Map() });
  }
  return pools.get(name);
}

function arrived(p, seen, data, stamp) {
  const v = version(data);
  if (v === null || seen.has(v)) return;
  seen.add(v);
  let stamps = p.arrivals.get(v);
  if (!stamps) p.arrivals.set(v, (stamps = []));
  stamps.push(stamp);
  if (stamps.length >= p.size && p.waiters.has(v)) p.waiters.get(v)();
}

function connectOnce(p, url, source) {
  return new Promise((resolve) => {
    const seen = new Set();
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: source });
    let first = false;
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(null);
    }, 30000);
    ws.on("message", (data) => {
      const stamp = process.hrtime.bigint();
      arrived(p, seen, data, stamp);
      if (!first) {
        first = true;
        clearTimeout(timer);
        resolve(ws);
      }
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      clearTimeout(timer);
      if (!first) resolve(null);
    });
  });
}

async function open(msg) {
  const p = pool(msg.name);
  const url = `ws://127.0.0.1:${msg.port}${msg.path}`;
  let failures = 0;
  let next = 0;
  const one = async (i) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ws = await connectOnce(p, url, msg.sources[i % msg.sources.length]);
      if (ws) {
        p.clients.push(ws);
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
    failures++;
  };
  const lane = async () => {
    while (next < msg.count) await one(next++);
  };
  p.size += msg.count;
  await Promise.all(Array.from({ length: 64 }, lane)); // 64 handshakes at a time
  p.size = p.clients.length;
  return { opened: p.size, failures };
}

async function stamps(msg) {
  const p = pool(msg.name);
  const have = () => (p.arrivals.get(msg.version) || []).length;
  if (have() < p.size) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, msg.timeout * 1000);
      p.waiters.set(msg.version, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  p.waiters.delete(msg.version);
  const got = p.arrivals.get(msg.version) || [];
  p.arrivals.delete(msg.version);
  return { stamps: got.map((s) => Number(s)) }; // < 2^53 ns: 104 days of uptime
}

async function close(msg) {
  const p = pool(msg.name);
  pools.delete(msg.name);
  await Promise.all(
    p.clients.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 30000);
          ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1000);
        }),
    ),
  );
  return { closed: true };
}

const ops = { open, stamps, close };
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const msg = JSON.parse(line);
  const reply = await ops[msg.op](msg);
  process.stdout.write(JSON.stringify(reply) + "\n");
});
lines.on("close", () => process.exit(0));
