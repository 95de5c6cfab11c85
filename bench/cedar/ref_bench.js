'use strict';
// The reference's side of bench/cedar_bench.sh: cedar-wasm 4.5's
// isAuthorized over workload.json for SECONDS, one decision at a time.
// isAuthorized is stateless: every call hands it the policies and
// entities again (the reference has no prepared policy set in 4.5).
//   node ref_bench.js workload.json SECONDS
const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '..', '..', 'tests', 'cedar', 'node_modules',
                                '@cedar-policy', 'cedar-wasm', 'nodejs'));
const w = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const secs = Number(process.argv[3] || 5);
const lat = [];
let allow = 0, n = 0;
const t0 = process.hrtime.bigint();
const end = t0 + BigInt(Math.round(secs * 1e9));
for (;;) {
  const r = w.requests[n % w.requests.length];
  const a = process.hrtime.bigint();
  const ans = cedar.isAuthorized({principal: r.principal, action: r.action, resource: r.resource,
                                  context: r.context, policies: {staticPolicies: w.policies},
                                  entities: w.entities});
  const b = process.hrtime.bigint();
  if (ans.type !== 'success') { console.error(JSON.stringify(ans)); process.exit(1); }
  if (n < 100 && ans.response.decision === 'allow') allow++;
  lat.push(Number(b - a) / 1000);
  n++;
  if (b >= end) break;
}
const total = Number(process.hrtime.bigint() - t0) / 1e9;
lat.sort((x, y) => x - y);
const q = p => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(`decisions=${n} secs=${total.toFixed(2)} per_s=${Math.round(n / total)} ` +
            `p50_us=${q(0.5).toFixed(1)} p99_us=${q(0.99).toFixed(1)} allow_first_100=${allow}`);
