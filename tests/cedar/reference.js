#!/usr/bin/env node
'use strict';
// reference.js: the cedar_batch protocol answered by @cedar-policy/cedar-wasm.
// Reads JSON lines (cases) on stdin, writes one answer line per case on stdout.
// See README.md for the format.
const ref = require('./lib/ref');

const readline = require('readline');

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let buf = [];
  const flush = () => new Promise((res) => {
    if (!buf.length) return res();
    const s = buf.join('');
    buf = [];
    if (process.stdout.write(s)) res(); else process.stdout.once('drain', res);
  });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let a;
    let c;
    try {
      c = ref.parse(line);
    } catch (e) {
      a = { id: null, failure: 'bad JSON line: ' + e.message };
    }
    if (!a) a = (c && typeof c === 'object' && !Array.isArray(c)) ? ref.answer(c) : { id: null, failure: 'case is not an object' };
    buf.push(JSON.stringify(a) + '\n');
    if (buf.length >= 256) await flush();
  }
  await flush();
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(2); });
