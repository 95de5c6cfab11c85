'use strict';
// A fixed authorization workload for bench/cedar_bench.sh: 50 policies
// (RBAC, ABAC conditions, hierarchy, a few forbids, extension calls),
// 1,000 entities (users in groups, documents in folders) and 1,000
// requests, from a seeded generator, so both engines see the same inputs.
//   node gen_workload.js [SEED] > workload.json
let seed = Number(process.argv[2] || 7) >>> 0;
function rnd(n) { // xorshift32
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed % n;
}
const G = 40, F = 40, U = 560, D = 360, A = 8;
const actions = Array.from({length: A}, (_, i) => 'act' + i);
const uid = (t, id) => ({type: t, id: id});
const entities = [];
for (let g = 0; g < G; g++)
  entities.push({uid: uid('Group', 'g' + g), attrs: {level: rnd(5)},
                 parents: g > 0 ? [uid('Group', 'g' + rnd(g))] : []});
for (let f = 0; f < F; f++)
  entities.push({uid: uid('Folder', 'f' + f), attrs: {public: rnd(4) === 0},
                 parents: f > 0 ? [uid('Folder', 'f' + rnd(f))] : []});
for (let u = 0; u < U; u++)
  entities.push({uid: uid('User', 'u' + u),
                 attrs: {clearance: rnd(5), dept: 'd' + rnd(10),
                         ip: {__extn: {fn: 'ip', arg: '10.' + rnd(4) + '.' + rnd(256) + '.' + rnd(256)}}},
                 parents: [uid('Group', 'g' + rnd(G)), uid('Group', 'g' + rnd(G))]});
for (let d = 0; d < D; d++)
  entities.push({uid: uid('Doc', 'doc' + d),
                 attrs: {owner: uid('User', 'u' + rnd(U)), sensitivity: rnd(5),
                         tags: ['t' + rnd(6), 't' + rnd(6)]},
                 parents: [uid('Folder', 'f' + rnd(F))]});
for (let a = 0; a < A; a++) entities.push({uid: uid('Action', 'act' + a), attrs: {}, parents: []});

const policies = [];
for (let i = 0; i < 50; i++) {
  const act = actions[rnd(A)];
  switch (i % 10) {
  case 0: case 1: case 2:
    policies.push(`permit (principal in Group::"g${rnd(G)}", action == Action::"${act}", resource in Folder::"f${rnd(F)}");`);
    break;
  case 3:
    policies.push(`permit (principal, action == Action::"${act}", resource is Doc) when { resource.owner == principal };`);
    break;
  case 4:
    policies.push(`permit (principal is User, action in [Action::"${act}", Action::"${actions[rnd(A)]}"], resource) when { principal.clearance >= resource.sensitivity && context.mfa };`);
    break;
  case 5:
    policies.push(`permit (principal, action == Action::"${act}", resource in Folder::"f${rnd(F)}") when { resource has tags && resource.tags.contains("t${rnd(6)}") };`);
    break;
  case 6:
    policies.push(`forbid (principal, action == Action::"${act}", resource) when { context.hour < 6 || context.hour > 22 } unless { principal in Group::"g0" };`);
    break;
  case 7:
    policies.push(`permit (principal, action, resource is Doc) when { principal.ip.isInRange(ip("10.${rnd(4)}.0.0/16")) && resource in Folder::"f${rnd(F)}" };`);
    break;
  case 8:
    policies.push(`forbid (principal, action == Action::"${act}", resource) when { resource.sensitivity > 3 && !(principal.dept like "d1*") };`);
    break;
  default:
    policies.push(`permit (principal in Group::"g${rnd(G)}", action, resource) when { context.amount.lessThan(decimal("${rnd(1000)}.50")) };`);
  }
}
const requests = [];
for (let i = 0; i < 1000; i++)
  requests.push({principal: uid('User', 'u' + rnd(U)), action: uid('Action', actions[rnd(A)]),
                 resource: uid('Doc', 'doc' + rnd(D)),
                 context: {mfa: rnd(2) === 0, hour: rnd(24),
                           amount: {__extn: {fn: 'decimal', arg: rnd(2000) + '.25'}}}});
process.stdout.write(JSON.stringify({policies: policies.join('\n'), entities, requests}) + '\n');
