#!/usr/bin/env node
'use strict';
// gen.js: seeded random generator of cedar_batch cases.
//
//   node gen.js --seed S --count N [--start I]   -> N JSON lines on stdout
//
// Case i of seed S depends only on (S, i), so a mismatch found in a run of
// 100000 cases is regenerated alone with --start i --count 1.
// Each case carries "tags": the constructs it used (the drivers ignore it;
// diff.sh counts them) and "kind" (well-typed / ill-typed / broken input).
//
// Long values are BigInt here and are written as exact JSON integers.

// ---------------------------------------------------------------- random

function splitmix32(a) {
  return function () {
    a |= 0; a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16); t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15; t = Math.imul(t, 0x735a2d97);
    return ((t ^ (t >>> 15)) >>> 0) / 4294967296;
  };
}
function caseRng(seed, i) {
  const s = splitmix32((seed * 1000003) ^ 0x5bd1e995);
  for (let k = 0; k < 3; k++) s();
  return splitmix32(Math.floor(s() * 4294967296) ^ Math.imul(i + 1, 0x27d4eb2d));
}

let rnd = Math.random;
const chance = (p) => rnd() < p;
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (a) => a[Math.floor(rnd() * a.length)];
function wpick(pairs) { // [[weight, value], ...]
  let tot = 0; for (const [w] of pairs) tot += w;
  let x = rnd() * tot;
  for (const [w, v] of pairs) { x -= w; if (x < 0) return v; }
  return pairs[pairs.length - 1][1];
}
function shuffle(a) { for (let i = a.length - 1; i > 0; i--) { const j = int(0, i); [a[i], a[j]] = [a[j], a[i]]; } return a; }

// ---------------------------------------------------------------- per-case state

let TAGS; // Set of construct tags of the current case
let G;    // per-case generation state
const tag = (t) => TAGS.add(t);

// ---------------------------------------------------------------- pools

const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);
const LONGS_EDGE = [MAX, MIN, MAX - 1n, MIN + 1n, 2n ** 62n, -(2n ** 62n), 3037000499n, 3037000500n, -3037000500n,
  2n ** 32n, 2n ** 31n, -(2n ** 31n), 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n];
const LONGS_SMALL = [0n, 1n, -1n, 2n, 3n, 5n, 7n, 10n, 42n, -42n, 100n, 1000n, -7n];

const STRINGS = ['', 'a', 'b', 'abc', 'Abc', 'a*b', '*', '**', 'alice', 'bob', 'x y', 'é', '日本', '😀',
  'a"b', 'back\\slash', 'tab\tx', 'line\nx', "'q'", 'a\u0000b', '1.2.3.4', '10.0.0.1', '1.5', '2024-01-01', '1h',
  'HardwareEngineering', 'zz', 'n', 'ab*'];

const IDS = ['alice', 'bob', 'carol', 'g1', 'g2', 'd1', 'f1', 'root', '', 'a"b', 'é', 'x y', '*', '😀', 'back\\slash', '0'];
const PTYPES = ['User', 'User', 'Org::Team'];
const GTYPES = ['Group', 'Group', 'A::B::C', 'Org::Team'];
const RTYPES = ['Doc', 'Doc', 'Folder'];
const ALL_TYPES = ['User', 'Group', 'Doc', 'Folder', 'Org::Team', 'A::B::C', 'Ghost'];

const IP_OK = ['0.0.0.0', '127.0.0.1', '127.0.0.0/8', '10.0.0.1', '10.0.0.0/8', '192.168.0.0/16', '192.168.1.7',
  '224.0.0.1', '239.255.255.255', '255.255.255.255', '0.0.0.0/0', '1.2.3.4/32', '::', '::1', '::1/128', 'fe80::1',
  'ff02::1', 'ff00::/8', '2001:db8::/32', '2001:db8::1', '::/0', '10.1.2.3/8', '123.123.123.123'];
const IP_BAD = ['1.2.3', '256.1.1.1', '1.2.3.4/33', '::1/129', '01.2.3.4', '::ffff:1.2.3.4', '', '1.2.3.4/', 'abc',
  '1.2.3.4/8/8', ' 1.2.3.4', '[::1]', '1.2.3.4/08'];
const DEC_OK = ['0.0', '1.0', '-1.0', '1.5', '0.0001', '-0.0001', '123.4567', '922337203685477.5807',
  '-922337203685477.5808', '-0.0', '2.25', '0.6', '0.5'];
const DEC_BAD = ['1', '1.', '1.23456', '.5', 'abc', '922337203685477.5808', '-922337203685477.5809', '1e3', '+1.0',
  '1.0 ', '', '--1.0'];
const DT_OK = ['2024-01-01', '2024-01-01T00:00:00Z', '2024-01-01T12:34:56.789Z', '2024-02-29T23:59:59+0100',
  '1970-01-01T00:00:00-0130', '1969-12-31', '0001-01-01', '9999-12-31T23:59:59.999Z', '2023-06-15T08:00:00+1400',
  '2024-01-02T00:00:00.000-2359', '2024-01-01T23:00:00Z'];
const DT_BAD = ['2024-13-01', '2023-02-29', '2024-01-01T24:00:00Z', '2024-1-1', '2024-01-01T00:00:00',
  '2024-01-01T00:00:00+01:00', '2024-01-01 00:00:00Z', '', '2024-01-01T00:00:00.1Z', '+2024-01-01',
  '2024-01-01T00:00:60Z', '2024-01-01T00:00:00+2400', '99999-01-01', '2024-00-10'];
const DUR_OK = ['0ms', '1ms', '1s', '1m', '1h', '1d', '-1d', '1d2h3m4s5ms', '2h30m', '-2h30m', '9223372036854775807ms',
  '-9223372036854775808ms', '106751991167d', '1000d', '24h', '86400000ms', '59s999ms'];
const DUR_BAD = ['', '1', '1x', '1h1d', '1.5h', '--1d', '1d-1h', '106751991168d', '9223372036854775808ms', 'd', '1D',
  '1 h', '1h ', '+1h'];
const EXT_POOLS = {
  ipaddr: [IP_OK, IP_BAD, 'ip'], decimal: [DEC_OK, DEC_BAD, 'decimal'],
  datetime: [DT_OK, DT_BAD, 'datetime'], duration: [DUR_OK, DUR_BAD, 'duration'],
};

// attribute name -> type (entity attributes and context share it)
const REC_T = { rec: { n: 'Long', s: 'String', b: 'Bool', e: 'Entity' } };
const ATTRS = {
  b: 'Bool', n: 'Long', m: 'Long', s: 'String', e: 'Entity', es: { set: 'Entity' }, ns: { set: 'Long' },
  ss: { set: 'String' }, r: REC_T, ip: 'ipaddr', d: 'decimal', t: 'datetime', u: 'duration', 'a b': 'String',
};
const TAG_T = { t1: 'Long', t2: 'String', 'x y': 'Bool', e: 'Entity' };
const SCALARS = ['Bool', 'Long', 'String', 'Entity', 'ipaddr', 'decimal', 'datetime', 'duration'];
const EXTS = ['ipaddr', 'decimal', 'datetime', 'duration'];
const RESERVED = new Set(['true', 'false', 'if', 'then', 'else', 'in', 'is', 'like', 'has', '__cedar']);
const isIdent = (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !RESERVED.has(s);
const teq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function randType(depth = 1) {
  if (depth > 0 && chance(0.15)) return { set: randType(depth - 1) };
  if (depth > 0 && chance(0.06)) return REC_T;
  return pick(SCALARS);
}

// ---------------------------------------------------------------- Cedar text of literals

function strLit(s, pattern = false) {
  let o = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === '"') o += '\\"';
    else if (ch === '\\') o += '\\\\';
    else if (ch === '*') o += pattern ? '\\*' : '*';
    else if (ch === '\n') o += chance(0.7) ? '\\n' : '\\u{a}';
    else if (ch === '\t') o += '\\t';
    else if (ch === '\r') o += '\\r';
    else if (cp === 0) { o += '\\0'; tag('string_nul'); }
    else if (ch === "'") o += chance(0.5) ? "\\'" : "'";
    else if (cp > 127) { if (chance(0.5)) { o += '\\u{' + cp.toString(16) + '}'; tag('string_unicode_escape'); } else o += ch; }
    else if (chance(0.02)) { o += '\\u{' + cp.toString(16) + '}'; tag('string_unicode_escape'); }
    else o += ch;
  }
  if (/[\\]/.test(o.slice(1))) tag('string_escape');
  return o + '"';
}

function typeText(t) {
  if (chance(0.03) && t.includes('::')) { tag('name_spaces'); return t.split('::').join(' :: '); }
  return t;
}
function uidText(u) {
  if (u.type.includes('::')) tag('entity_namespaced');
  return typeText(u.type) + '::' + strLit(u.id);
}
function longText(v) {
  tag('lit_long');
  if (LONGS_EDGE.includes(v)) tag('long_boundary');
  if (v === MIN) tag('long_min_literal');
  return v < 0n ? '-' + (-v).toString() : v.toString();
}

// ---------------------------------------------------------------- JSON values (entities, context)

function pickLong() {
  return chance(0.3) ? pick(LONGS_EDGE) : pick(LONGS_SMALL);
}
function pickString() { return pick(STRINGS); }

function uidJson(u) {
  if (chance(0.05)) { tag('json_uid_escape_form'); return { __entity: { type: u.type, id: u.id } }; }
  return { type: u.type, id: u.id };
}

function jsonValue(t, depth = 2) {
  if (G.pBad > 0 && chance(G.pBad / 2)) { tag('json_value_wrong_type'); t = randType(1); }
  if (t === 'Bool') return chance(0.5);
  if (t === 'Long') return pickLong();
  if (t === 'String') return pickString();
  if (t === 'Entity') {
    const u = pickUid();
    if (chance(0.04)) { tag('json_bare_uid_record'); return { type: u.type, id: u.id }; }
    return { __entity: { type: u.type, id: u.id } };
  }
  if (EXT_POOLS[t]) {
    const [ok, bad, fn] = EXT_POOLS[t];
    tag('json_extn');
    if (chance(0.0015)) { tag('json_extn_invalid'); G.brokenInput = true; return { __extn: { fn, arg: pick(bad) } }; }
    return { __extn: { fn, arg: pick(ok) } };
  }
  if (t.set) {
    const n = depth > 0 ? int(0, 3) : 0;
    const a = [];
    for (let i = 0; i < n; i++) a.push(jsonValue(t.set, depth - 1));
    return a;
  }
  if (t.rec) {
    const o = {};
    for (const [k, ft] of Object.entries(t.rec)) if (chance(0.8)) o[k] = depth > 0 ? jsonValue(ft, depth - 1) : pickLong();
    return o;
  }
  throw new Error('jsonValue: ' + JSON.stringify(t));
}

// ---------------------------------------------------------------- universe

function mkUid(type, id) { return { type, id }; }
function uidKey(u) { return u.type + '::' + JSON.stringify(u.id); }
function pickUid() {
  if (chance(0.1)) return mkUid(pick(ALL_TYPES), pick(IDS));
  return pick(G.pool);
}
function pickAncestorOr(u) {
  // an ancestor of u in the generated hierarchy (or u itself), else random
  const anc = G.ancestors.get(uidKey(u));
  if (anc && anc.length && chance(0.6)) return pick(anc);
  if (chance(0.5)) return u;
  return pickUid();
}

function buildUniverse() {
  const n = int(3, 9);
  const pool = [];
  const seen = new Set();
  const add = (u) => { const k = uidKey(u); if (!seen.has(k)) { seen.add(k); pool.push(u); } };
  add(mkUid(pick(PTYPES), pick(IDS)));
  add(mkUid(pick(RTYPES), pick(IDS)));
  while (pool.length < n) add(mkUid(pick([...GTYPES, ...RTYPES, ...PTYPES]), pick(IDS)));
  G.pool = pool;
  // hierarchy: edges child -> parent, acyclic by index unless a cycle is wanted
  const parents = pool.map(() => []);
  const shape = wpick([[4, 'random'], [2, 'chain'], [2, 'diamond'], [1, 'flat']]);
  tag('hier_' + shape);
  if (shape === 'random') {
    for (let i = 0; i < pool.length; i++) for (let j = i + 1; j < pool.length; j++) if (chance(0.3)) parents[i].push(j);
  } else if (shape === 'chain') {
    for (let i = 0; i + 1 < pool.length; i++) parents[i].push(i + 1);
    if (pool.length >= 5) tag('hier_deep_chain');
  } else if (shape === 'diamond' && pool.length >= 5) {
    parents[0].push(2, 3); parents[2].push(pool.length - 1); parents[3].push(pool.length - 1);
    if (chance(0.5)) parents[1].push(2);
  }
  if (chance(0.03) && pool.length >= 2) {
    const i = int(1, pool.length - 1); const j = int(0, i);
    parents[i].push(j); tag('hier_cycle'); G.brokenInput = true;
  }
  // ancestors (over the generated edges, cycles ignored)
  G.ancestors = new Map();
  const anc = (i, vis) => {
    for (const p of parents[i]) if (!vis.has(p)) { vis.add(p); anc(p, vis); }
    return vis;
  };
  pool.forEach((u, i) => G.ancestors.set(uidKey(u), [...anc(i, new Set())].filter((j) => j !== i).map((j) => pool[j])));
  G.parents = parents;
}

const ACTIONS = [
  { uid: mkUid('Action', 'view'), parents: [mkUid('Action', 'read')] },
  { uid: mkUid('Action', 'edit'), parents: [mkUid('Action', 'read'), mkUid('Action', 'write')] },
  { uid: mkUid('Action', 'read'), parents: [mkUid('Action', 'all')] },
  { uid: mkUid('Action', 'write'), parents: [mkUid('Action', 'all')] },
  { uid: mkUid('Action', 'all'), parents: [] },
  { uid: mkUid('Ns::Action', 'view'), parents: [mkUid('Ns::Action', 'all')] },
  { uid: mkUid('Ns::Action', 'all'), parents: [] },
];

function entityJson(u, parentUids) {
  const attrs = {};
  const names = Object.keys(ATTRS);
  for (const k of names) if (chance(0.65)) attrs[k] = jsonValue(ATTRS[k]);
  const e = { uid: uidJson(u), attrs, parents: parentUids.map(uidJson) };
  if (chance(0.3)) {
    tag('entity_tags');
    e.tags = {};
    for (const [k, t] of Object.entries(TAG_T)) if (chance(0.5)) e.tags[k] = jsonValue(t);
  }
  return e;
}

function buildEntities() {
  const ents = [];
  G.pool.forEach((u, i) => {
    const inStore = i === 0 ? chance(0.85) : chance(0.8);
    if (!inStore) { tag('entity_not_in_store'); return; }
    const ps = G.parents[i].map((j) => G.pool[j]);
    if (chance(0.08)) { ps.push(mkUid('Group', 'ghost')); tag('parent_not_in_store'); }
    ents.push(entityJson(u, ps));
  });
  if (!chance(0.15)) {
    for (const a of ACTIONS) if (chance(0.85)) {
      const e = { uid: uidJson(a.uid), attrs: {}, parents: a.parents.map(uidJson) };
      if (chance(0.05)) { e.attrs.n = pickLong(); tag('action_attrs'); }
      ents.push(e);
    }
    tag('action_hierarchy');
  }
  shuffle(ents);
  if (ents.length && chance(0.02)) { tag('entity_duplicate_identical'); ents.push(JSON.parse(JSON.stringify(ents[0], bigRepl), bigRev)); }
  if (ents.length && chance(0.02)) {
    tag('entity_duplicate_conflicting'); G.brokenInput = true;
    const d = JSON.parse(JSON.stringify(ents[0], bigRepl), bigRev); d.attrs = { zz_conflict: true }; ents.push(d);
  }
  if (ents.length && chance(0.01)) { tag('json_null_attr'); G.brokenInput = true; ents[0].attrs.zz = null; }
  if (ents.length && chance(0.01)) { tag('json_float_attr'); G.brokenInput = true; ents[0].attrs.zz = new RawNum('1.5'); }
  if (ents.length && chance(0.01)) { tag('json_long_out_of_range'); G.brokenInput = true; ents[0].attrs.zz = new RawNum('9223372036854775808'); }
  if (chance(0.01)) { tag('entity_bad_type_name'); G.brokenInput = true; ents.push({ uid: { type: '1Bad', id: 'x' }, attrs: {}, parents: [] }); }
  return ents;
}
function bigRepl(k, v) { return typeof v === 'bigint' ? { $big: v.toString() } : (v instanceof RawNum ? { $raw: v.s } : v); }
function bigRev(k, v) {
  if (v && typeof v === 'object' && typeof v.$big === 'string') return BigInt(v.$big);
  if (v && typeof v === 'object' && typeof v.$raw === 'string') return new RawNum(v.$raw);
  return v;
}
class RawNum { constructor(s) { this.s = s; } }

function buildContext() {
  if (chance(0.01)) { tag('context_not_record'); G.brokenInput = true; return [1]; }
  const c = {};
  for (const k of Object.keys(ATTRS)) if (chance(0.65)) c[k] = jsonValue(ATTRS[k]);
  if (chance(0.1)) { c.nested = { r: jsonValue(REC_T), list: jsonValue({ set: REC_T }) }; }
  return c;
}

// ---------------------------------------------------------------- expressions
// Each generator returns {t: text, p: precedence}; a parent puts a child in
// parentheses when the child binds weaker than the grammar needs (and
// sometimes anyway).
const ITE = 0, OR = 1, AND = 2, REL = 3, ADD = 4, MUL = 5, UN = 6, PRIM = 7;
const node = (t, p) => ({ t, p });
function at(x, lvl) { return (x.p >= lvl && !chance(0.08)) ? x.t : '(' + x.t + ')'; }
function attrAccess(base, name) {
  if (isIdent(name) && chance(0.8)) { tag('attr_dot'); return base + '.' + name; }
  tag('attr_index'); return base + '[' + strLit(name) + ']';
}

// paths of the given type in ATTRS: [[name], [name, sub]]
function pathsOf(t) {
  const out = [];
  for (const [k, at_] of Object.entries(ATTRS)) {
    if (teq(at_, t)) out.push([k]);
    if (at_.rec) for (const [k2, t2] of Object.entries(at_.rec)) if (teq(t2, t)) out.push([k, k2]);
  }
  return out;
}
function rootExpr() {
  return wpick([[4, () => { tag('var_principal'); return node('principal', PRIM); }],
    [3, () => { tag('var_resource'); return node('resource', PRIM); }],
    [5, () => { tag('var_context'); return node('context', PRIM); }],
    [1, () => { tag('var_action'); return node('action', PRIM); }],
    [1, () => { tag('deref_entity_attr'); return node(attrAccess(pick(['principal', 'resource', 'context'] ), 'e'), PRIM); }],
    [1, () => { tag('lit_entity'); return node(uidText(pickUid()), PRIM); }],
  ])();
}
function attrRef(t) {
  let paths = pathsOf(t);
  const root = rootExpr();
  if (!paths.length || chance(0.04)) { tag('attr_missing'); paths = [[pick(['zz', 'N', 'a b', '', 'permit'])]]; }
  let s = root.t;
  for (const k of pick(paths)) s = attrAccess(s, k);
  return node(s, PRIM);
}

function errExpr() {
  tag('error_expr');
  return pick([
    () => { tag('attr_missing'); return node(attrAccess(pick(['principal', 'context', 'resource']), 'zz'), PRIM); },
    () => { tag('arith_overflow'); return node('9223372036854775807 + 1', ADD); },
    () => { tag('arith_overflow'); return node('-9223372036854775808 - 1', ADD); },
    () => { tag('type_mismatch'); return node('1 + "a"', ADD); },
    () => node(uidText(mkUid('Ghost', 'nobody')) + '.n', PRIM),
    () => { tag('ip_invalid'); return node('ip(' + strLit(pick(IP_BAD)) + ')', PRIM); },
    () => { tag('decimal_invalid'); return node('decimal(' + strLit(pick(DEC_BAD)) + ')', PRIM); },
    () => { tag('type_mismatch'); return node('"a" < 1', REL); },
    () => { tag('getTag_missing'); return node('principal.getTag("zz")', PRIM); },
  ])();
}

function gen(t, d) {
  if (chance(G.pBad)) {
    if (chance(0.4)) return errExpr();
    tag('ill_typed');
    return genT(randType(1), d);
  }
  return genT(t, d);
}

function genT(t, d) {
  if (t === 'Bool') return genBool(d);
  if (t === 'Long') return genLong(d);
  if (t === 'String') return genString(d);
  if (t === 'Entity') return genEntity(d);
  if (t.set) return genSet(t.set, d);
  if (t.rec) return genRecord(d);
  if (EXT_POOLS[t]) return genExt(t, d);
  throw new Error('genT ' + JSON.stringify(t));
}

function ite(t, d) {
  tag('if_then_else');
  return node('if ' + gen('Bool', d - 1).t + ' then ' + gen(t, d - 1).t + ' else ' + gen(t, d - 1).t, ITE);
}

function genLong(d) {
  const opts = [[5, () => node(longText(pickLong()), PRIM)], [4, () => attrRef('Long')]];
  if (d > 0) opts.push(
    [3, () => { const op = pick(['+', '-']); tag('arith' + op); return node(at(gen('Long', d - 1), ADD) + ' ' + op + ' ' + at(gen('Long', d - 1), MUL), ADD); }],
    [2, () => { tag('arith*'); return node(at(gen('Long', d - 1), MUL) + ' * ' + at(gen('Long', d - 1), UN), MUL); }],
    [1, () => { tag('neg'); return node('-' + at(gen('Long', d - 1), PRIM), UN); }],
    [1, () => { tag('neg'); return node('-(' + gen('Long', d - 1).t + ')', UN); }],
    [1, () => ite('Long', d)],
    [1, () => { const m = pick(['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays']); tag('duration.' + m); return node(at(gen('duration', d - 1), PRIM) + '.' + m + '()', PRIM); }],
    [1, () => { tag('getTag'); return node(at(gen('Entity', d - 1), PRIM) + '.getTag(' + strLit('t1') + ')', PRIM); }],
    [1, () => { tag('lit_record'); tag('record_access'); return node('{n: ' + gen('Long', d - 1).t + ', s: "x"}' + (chance(0.5) ? '.n' : '["n"]'), PRIM); }],
  );
  return wpick(opts)();
}

function genString(d) {
  const opts = [[5, () => { tag('lit_string'); return node(strLit(pickString()), PRIM); }], [4, () => attrRef('String')]];
  if (d > 0) opts.push([1, () => ite('String', d)],
    [1, () => { tag('getTag'); return node(at(gen('Entity', d - 1), PRIM) + '.getTag(' + strLit(pick(['t2', 'x y', 'zz'])) + ')', PRIM); }]);
  return wpick(opts)();
}

function genEntity(d) {
  const opts = [
    [3, () => { tag('var_principal'); return node('principal', PRIM); }],
    [3, () => { tag('var_resource'); return node('resource', PRIM); }],
    [1, () => { tag('var_action'); return node('action', PRIM); }],
    [3, () => { tag('lit_entity'); return node(uidText(pickUid()), PRIM); }],
    [1, () => { tag('lit_entity'); return node(uidText(pick(ACTIONS).uid), PRIM); }],
    [2, () => attrRef('Entity')],
  ];
  if (d > 0) opts.push([1, () => ite('Entity', d)]);
  return wpick(opts)();
}

function genSet(el, d) {
  const opts = [[4, () => {
    tag('lit_set');
    const n = d > 0 ? int(0, 3) : int(0, 1);
    const a = [];
    for (let i = 0; i < n; i++) a.push((chance(0.1) ? gen(randType(0), d - 1) : gen(el, d - 1)).t);
    if (!n) tag('lit_set_empty');
    return node('[' + a.join(', ') + ']', PRIM);
  }]];
  if (pathsOf({ set: el }).length) opts.push([3, () => attrRef({ set: el })]);
  if (d > 0) opts.push([1, () => ite({ set: el }, d)]);
  return wpick(opts)();
}

function genRecord(d) {
  return wpick([
    [3, () => {
      tag('lit_record');
      const keys = shuffle(['n', 's', 'b', 'e', 'x y', 'zz']).slice(0, int(0, 4));
      const types = { n: 'Long', s: 'String', b: 'Bool', e: 'Entity', 'x y': 'Bool', zz: 'Long' };
      const parts = keys.map((k) => (isIdent(k) && chance(0.7) ? k : strLit(k)) + ': ' + gen(types[k], d - 1).t);
      return node('{' + parts.join(', ') + '}', PRIM);
    }],
    [3, () => attrRef(REC_T)],
    [1, () => { tag('var_context'); return node('context', PRIM); }],
  ])();
}

function extCtor(t, argNode) {
  const fn = EXT_POOLS[t][2];
  tag(fn + '()');
  return node(fn + '(' + argNode.t + ')', PRIM);
}
function genExt(t, d) {
  const [ok, bad] = EXT_POOLS[t];
  const opts = [
    [5, () => extCtor(t, node(strLit(chance(0.12) ? (tag(EXT_POOLS[t][2] + '_invalid'), pick(bad)) : pick(ok)), PRIM))],
    [2, () => attrRef(t)],
  ];
  if (d > 0) {
    opts.push([1, () => { tag('ext_ctor_dynamic'); return extCtor(t, gen('String', d - 1)); }], [1, () => ite(t, d)]);
    if (t === 'datetime') opts.push(
      [2, () => { tag('datetime.offset'); return node(at(gen('datetime', d - 1), PRIM) + '.offset(' + gen('duration', d - 1).t + ')', PRIM); }],
      [1, () => { tag('datetime.toDate'); return node(at(gen('datetime', d - 1), PRIM) + '.toDate()', PRIM); }]);
    if (t === 'duration') opts.push(
      [2, () => { tag('datetime.durationSince'); return node(at(gen('datetime', d - 1), PRIM) + '.durationSince(' + gen('datetime', d - 1).t + ')', PRIM); }],
      [1, () => { tag('datetime.toTime'); return node(at(gen('datetime', d - 1), PRIM) + '.toTime()', PRIM); }]);
  }
  return wpick(opts)();
}

function likePattern() {
  // mostly derived from a pool string, so matches happen
  const base = pickString();
  let p = '';
  let i = 0;
  const chars = [...base];
  while (i < chars.length) {
    if (chance(0.25)) { p += '*'; i += int(0, 2); tag('like_wildcard'); continue; }
    const ch = chars[i++];
    if (ch === '*') { p += '\\*'; tag('like_escaped_star'); } else p += strLit(ch).slice(1, -1);
  }
  if (chance(0.2)) { p += '*'; tag('like_wildcard'); }
  if (chance(0.05)) { p = '\\*' + p; tag('like_escaped_star'); }
  return '"' + p + '"';
}

function genBool(d) {
  const opts = [
    [2, () => { tag('lit_bool'); return node(chance(0.5) ? 'true' : 'false', PRIM); }],
    [3, () => attrRef('Bool')],
    [3, () => {
      tag('has');
      const base = chance(0.6) ? rootExpr() : gen(REC_T, d - 1);
      const names = [...Object.keys(ATTRS), 'zz', 'x y', ''];
      let nm = pick(names);
      let txt = isIdent(nm) && chance(0.8) ? nm : strLit(nm);
      if (chance(0.15)) { tag('has_extended'); nm = pick(['n', 's', 'b', 'e', 'zz']); txt = 'r.' + nm; }
      return node(at(base, ADD) + ' has ' + txt, REL);
    }],
    [1, () => { tag('hasTag'); return node(at(gen('Entity', d - 1), PRIM) + '.hasTag(' + (chance(0.8) ? strLit(pick(Object.keys(TAG_T).concat(['zz']))) : gen('String', d - 1).t) + ')', PRIM); }],
    [2, () => { tag('is'); return node(at(gen('Entity', d - 1), ADD) + ' is ' + typeText(pick(ALL_TYPES.concat(['Action', 'Ns::Action']))), REL); }],
  ];
  if (d > 0) opts.push(
    [4, () => { const op = pick(['<', '<=', '>', '>=']); tag('cmp' + op);
      const t = wpick([[6, 'Long'], [1, 'datetime'], [1, 'duration'], [0.5, 'decimal'], [0.3, 'String']]);
      if (t !== 'Long') tag('cmp_' + t);
      return node(at(gen(t, d - 1), ADD) + ' ' + op + ' ' + at(gen(t, d - 1), ADD), REL); }],
    [4, () => { const op = chance(0.7) ? '==' : '!='; tag(op);
      const t = randType(1); const t2 = chance(0.8) ? t : randType(1);
      if (!teq(t, t2)) tag('eq_mixed_types');
      return node(at(gen(t, d - 1), ADD) + ' ' + op + ' ' + at(gen(t2, d - 1), ADD), REL); }],
    [3, () => { tag('&&'); return node(at(gen('Bool', d - 1), AND) + ' && ' + at(gen('Bool', d - 1), REL), AND); }],
    [3, () => { tag('||'); return node(at(gen('Bool', d - 1), OR) + ' || ' + at(gen('Bool', d - 1), AND), OR); }],
    [2, () => { tag('!'); const k = chance(0.1) ? '!!' : '!'; return node(k + at(gen('Bool', d - 1), PRIM), UN); }],
    [2, () => { tag('short_circuit');
      return pick([
        () => { tag('&&'); return node('false && ' + at(errExpr(), REL), AND); },
        () => { tag('||'); return node('true || ' + at(errExpr(), REL), OR); },
        () => { tag('&&'); return node(at(gen('Bool', d - 1), AND) + ' && ' + at(errExpr(), REL), AND); },
        () => { tag('||'); return node(at(gen('Bool', d - 1), OR) + ' || ' + at(errExpr(), REL), OR); },
        () => { tag('if_then_else'); return node('if ' + gen('Bool', d - 1).t + ' then ' + gen('Bool', d - 1).t + ' else ' + errExpr().t, ITE); },
        () => { tag('if_then_else'); return node('if false then ' + errExpr().t + ' else ' + gen('Bool', d - 1).t, ITE); },
        () => { tag('guarded_access'); const r = rootExpr(); const [p] = pick([['n'], ['s'], ['b']]);
          const acc = attrAccess(r.t, p);
          const rhs = p === 'n' ? acc + ' > ' + longText(pickLong()) : p === 's' ? acc + ' like ' + likePattern() : acc;
          return node(at(r, ADD) + ' has ' + p + ' && ' + (p === 'b' ? rhs : '(' + rhs + ')'), AND); },
      ])(); }],
    [4, () => { tag('in');
      const lhs = at(gen('Entity', d - 1), ADD);
      const r = wpick([[3, 'ent'], [2, 'set'], [1, 'anc']]);
      if (r === 'set') { tag('in_set'); return node(lhs + ' in ' + at(gen({ set: 'Entity' }, d - 1), ADD), REL); }
      if (r === 'anc') { tag('in_ancestor'); return node('principal in ' + uidText(pickAncestorOr(G.principal)), REL); }
      return node(lhs + ' in ' + at(gen('Entity', d - 1), ADD), REL); }],
    [3, () => { tag('like'); return node(at(gen('String', d - 1), ADD) + ' like ' + likePattern(), REL); }],
    [2, () => { tag('is_in'); return node(at(gen('Entity', d - 1), ADD) + ' is ' + typeText(pick(ALL_TYPES)) + ' in ' + at(chance(0.7) ? gen('Entity', d - 1) : gen({ set: 'Entity' }, d - 1), ADD), REL); }],
    [3, () => { const el = pick(['Long', 'String', 'Entity', 'Long', pick(SCALARS)]);
      const m = wpick([[3, 'contains'], [2, 'containsAll'], [2, 'containsAny'], [1, 'isEmpty']]); tag(m);
      const recv = at(gen({ set: el }, d - 1), PRIM);
      if (m === 'isEmpty') return node(recv + '.isEmpty()', PRIM);
      const arg = m === 'contains' ? gen(el, d - 1) : gen({ set: el }, d - 1);
      return node(recv + '.' + m + '(' + arg.t + ')', PRIM); }],
    [2, () => { const m = pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast', 'isInRange']); tag('ip.' + m);
      const recv = at(gen('ipaddr', d - 1), PRIM);
      return node(recv + '.' + m + '(' + (m === 'isInRange' ? gen('ipaddr', d - 1).t : '') + ')', PRIM); }],
    [2, () => { const m = pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']); tag('decimal.' + m);
      return node(at(gen('decimal', d - 1), PRIM) + '.' + m + '(' + gen('decimal', d - 1).t + ')', PRIM); }],
    [1, () => ite('Bool', d)],
    [2, () => { tag('==');
      return pick([
        () => { tag('set_eq_permuted'); const a = [pickLong(), pickLong(), pickLong()].map(longText);
          const b = shuffle([...a, ...(chance(0.5) ? [a[0]] : [])]); if (chance(0.3)) b.pop();
          return node('[' + a.join(', ') + '] == [' + b.join(', ') + ']', REL); },
        () => { tag('record_eq'); tag('lit_record'); const n = longText(pickLong());
          return node('{a: ' + n + ', "b c": "x"} ' + pick(['==', '!=']) + ' {"b c": "x", a: ' + (chance(0.7) ? n : longText(pickLong())) + '}', REL); },
        () => { tag('ext_eq'); const t = pick(EXTS); const [ok, , fn] = EXT_POOLS[t];
          return node(fn + '(' + strLit(pick(ok)) + ') == ' + fn + '(' + strLit(pick(ok)) + ')', REL); },
        () => { tag('entity_eq'); return node(at(gen('Entity', d - 1), ADD) + ' == ' + at(gen('Entity', d - 1), ADD), REL); },
      ])(); }],
    [1, () => { tag('getTag'); return node(at(gen('Entity', d - 1), PRIM) + '.getTag(' + strLit('x y') + ')', PRIM); }],
  );
  return wpick(opts)();
}

// ---------------------------------------------------------------- policies

function scopeEntity(forVar) {
  return forVar === 'principal' ? pickAncestorOr(G.principal) : pickAncestorOr(G.resource);
}
function scopePart(v, slot) {
  if (slot) {
    const s = '?' + v;
    tag('slot_' + v);
    return wpick([
      [3, () => { tag('scope_eq'); return v + ' == ' + s; }],
      [3, () => { tag('scope_in'); return v + ' in ' + s; }],
      [2, () => { tag('scope_is_in'); return v + ' is ' + typeText(v === 'principal' ? pick([G.principal.type, ...PTYPES]) : pick([G.resource.type, ...RTYPES])) + ' in ' + s; }],
    ])();
  }
  return wpick([
    [3, () => v],
    [3, () => { tag('scope_eq'); return v + ' == ' + uidText(chance(0.6) ? (v === 'principal' ? G.principal : G.resource) : scopeEntity(v)); }],
    [3, () => { tag('scope_in'); return v + ' in ' + uidText(scopeEntity(v)); }],
    [2, () => { tag('scope_is'); return v + ' is ' + typeText(chance(0.6) ? (v === 'principal' ? G.principal.type : G.resource.type) : pick(ALL_TYPES)); }],
    [2, () => { tag('scope_is_in'); return v + ' is ' + typeText(chance(0.6) ? (v === 'principal' ? G.principal.type : G.resource.type) : pick(ALL_TYPES)) + ' in ' + uidText(scopeEntity(v)); }],
  ])();
}
function actionScope() {
  const a = () => (chance(0.6) ? G.action : pick(ACTIONS).uid);
  return wpick([
    [3, () => 'action'],
    [3, () => { tag('action_eq'); return 'action == ' + uidText(a()); }],
    [2, () => { tag('action_in'); return 'action in ' + uidText(pick([a(), mkUid('Action', 'read'), mkUid('Action', 'all')])); }],
    [3, () => { tag('action_in_list'); const n = int(0, 3); const l = []; for (let i = 0; i < n; i++) l.push(uidText(chance(0.5) ? a() : pick(ACTIONS).uid)); if (!n) tag('action_in_empty_list'); return 'action in [' + l.join(', ') + ']'; }],
  ])();
}

function annotations() {
  const n = wpick([[6, 0], [3, 1], [1, 2]]);
  const keys = shuffle(['id', 'advice', 'reason', 'flag']).slice(0, n);
  if (n) tag('annotation');
  let s = '';
  for (const k of keys) {
    if (k === 'flag' && chance(0.5)) { s += '@flag\n'; tag('annotation_no_value'); continue; }
    s += '@' + k + '(' + strLit(pick(['p', 'policy0', 'x y', 'é', ''])) + ')\n';
  }
  return s;
}

function policyText(slots) {
  const eff = chance(0.7) ? 'permit' : 'forbid';
  tag(eff);
  let ps = scopePart('principal', slots && slots.principal);
  let rs = scopePart('resource', slots && slots.resource);
  const sep = pick([', ', ',\n  ', ',']);
  let s = annotations() + eff + pick([' (', '(', ' (\n  ']) + ps + sep + actionScope() + sep + rs + pick([')', '\n)']);
  const nc = wpick([[2, 0], [4, 1], [2, 2], [1, 3]]);
  const depth = int(1, 3);
  for (let i = 0; i < nc; i++) {
    const kw = chance(0.75) ? 'when' : 'unless';
    tag(kw);
    s += '\n' + kw + ' { ' + gen('Bool', depth).t + ' }';
  }
  s += ';';
  if (chance(0.05)) { s += ' // trailing comment\n'; tag('comment'); }
  if (chance(0.03)) { s = '// leading comment\n' + s; tag('comment'); }
  return s;
}

// ---------------------------------------------------------------- deep structures
// Long chains and deep nesting, kept under the C engine's documented bounds
// (policyd/cedar/cedar.h: 64 nested brackets/calls/ifs, AST depth 200, JSON
// value depth 64), so both sides must still agree.

function deepRecord(depth, leaf) {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function deepCondition(ctx, entities) {
  return pick([
    () => { tag('deep_parens'); const k = int(5, 40); return '('.repeat(k) + gen('Bool', 1).t + ')'.repeat(k); },
    () => { tag('deep_sum_chain'); const k = int(5, 60); const base = chance(0.5) ? 'context.n' : longText(pickLong());
      const step = chance(0.7) ? '1' : longText(pick([MAX / 4n, 2n ** 32n, 1n])); const op = chance(0.7) ? ' + ' : ' - ';
      return base + (op + step).repeat(k) + ' > ' + longText(pickLong()); },
    () => { tag('deep_and_chain'); const k = int(5, 60); const a = [];
      for (let i = 0; i < k; i++) a.push(chance(0.95) ? 'true' : pick(['false', 'context.b', 'context.zz']));
      return a.join(pick([' && ', ' || '])); },
    () => { tag('deep_if_chain'); const k = int(3, 25); let t = '';
      for (let i = 0; i < k; i++) t += 'if context.n == ' + longText(BigInt(i)) + ' then ' + (i % 2 ? 'true' : 'false') + ' else ';
      return t + (chance(0.5) ? 'true' : 'context.zz'); },
    () => { tag('deep_record'); const d = int(3, 30); ctx.deep = deepRecord(d, { v: pickLong() });
      const k = chance(0.7) ? d : int(1, 35);
      return chance(0.5) ? 'context.deep' + '.a'.repeat(k) + '.v == ' + longText(pickLong()) + ' || true'
        : 'context has deep' + '.a'.repeat(k) + '.v'; },
    () => { tag('deep_hierarchy'); const k = int(10, 40);
      const chain = []; for (let i = 0; i < k; i++) chain.push(mkUid('Group', 'c' + i));
      entities.push({ uid: uidJson(chain[0]), attrs: {}, parents: [] });
      for (let i = 1; i < k; i++) entities.push({ uid: uidJson(chain[i]), attrs: {}, parents: chance(0.97) ? [uidJson(chain[i - 1])] : [] });
      const p = entities.find((e) => uidKey(e.uid.__entity || e.uid) === uidKey(G.principal));
      if (p) p.parents.push(uidJson(chain[k - 1])); else entities.push({ uid: uidJson(G.principal), attrs: {}, parents: [uidJson(chain[k - 1])] });
      return 'principal in ' + uidText(chain[int(0, k - 1)]); },
    () => { tag('big_set'); const n = int(20, 200); const a = []; for (let i = 0; i < n; i++) a.push(String(i));
      return pick(['[' + a.join(', ') + '].contains(context.n)', '[' + a.join(', ') + '].containsAll([1, 2, context.n])',
        '[' + shuffle(a.slice()).join(', ') + '] == [' + a.join(', ') + ']']); },
  ])();
}

// ---------------------------------------------------------------- fixed corners
// Hand-picked expressions at the edges of the semantics; some are parse
// errors on purpose (then the whole case must fail on both sides).
const CORNER_EXPRS = [
  '007 == 7', '__cedar::X::"a" == principal', 'isIpv4(ip("1.1.1.1"))', '"1.1.1.1".ip().isIpv4()',
  '{if: 1}["if"] == 1', '{true: 1, principal: 2}["principal"] == 2', 'principal.\u00e9 == 1',
  '"e\\u{301}" == "\u00e9"', '"\u00e9" like "e*"', '"\u{1F600}x" like "*x"', '1 // comment\n == 1', 'context\t.n\r\n== 1',
  '[[1, 2], [3]].contains([2, 1])', '[{a: 1}].contains({a: 1})', 'ip("10.1.2.3/8") == ip("10.0.0.0/8")',
  'ip("::1") == ip("0:0:0:0:0:0:0:1")', 'ip("1.2.3.4") == ip("1.2.3.4/32")', 'decimal("1.0") == decimal("1.00")',
  'datetime("2024-01-01T00:00:00Z") == datetime("2024-01-01")', 'duration("60s") == duration("1m")',
  'datetime("2024-01-01").durationSince(datetime("2023-01-01")).toDays() == 365', '10 / 2 == 5', '10 % 3 == 1',
  '9223372036854775807 * -1 == -9223372036854775807', '(-9223372036854775807 - 1) * -1 > 0',
  '-(-9223372036854775807 - 1) > 0', '-9223372036854775808 * 1 < 0', '3037000500 * 3037000500 > 0',
  '-3037000500 * 3037000500 < 0', '"" like ""', '"" like "*"', '"a" like ""', '"**" like "\\*\\*"', '"a\\\\b" like "a\\\\*"',
  'principal.getTag("t1") + 1 > 0', 'resource in []', 'action in [action]', 'context == {}', '[] == []', '{} == {}',
  '[1, 1, 2] == [2, 1]', 'if true then 1 else "a" == 1', 'ip("::1").isInRange(ip("1.2.3.0/24"))',
  'ip("1.2.3.4").isInRange(ip("::/0"))', 'ip("127.0.0.1/8").isLoopback()', 'ip("::1/127").isLoopback()',
  'ip("ff00::/7").isMulticast()', 'ip("224.0.0.0/3").isMulticast()',
  'datetime("2024-01-01").offset(duration("-1d")).toDate() == datetime("2023-12-31")',
  'datetime("1969-12-31T23:59:59.999Z").toDate() == datetime("1969-12-31")',
  'datetime("1969-12-31T23:59:59.999Z").toTime() == duration("86399999ms")', 'duration("-1ms").toSeconds() == 0',
  'duration("-1d1h").toDays() == -1', 'duration("-1d-1h").toHours() == -25', 'decimal("-0.0001").lessThan(decimal("0.0"))',
  'principal has "a b" && principal["a b"] like "*"', 'context.ss.containsAny([])', '[].containsAll([])',
  '[].containsAny([])', 'principal.n', 'principal.r.e.r.e.n == 1', 'principal == Action::"view"',
  'principal is Action', 'action is Action', 'action is Ns::Action in Ns::Action::"all"', 'context is Action',
  '"a" == "a" == true', '!(1 == 1) == false', '-1 - -1 == 0', '- 1 == -1', '--9223372036854775808 == 0',
  '-  9223372036854775808 < 0', 'if 1 == 1 then true else 1 + "a"', 'principal in principal.es',
  'principal.es.contains(principal)', 'User::"alice" in [User::"alice"]', 'Ghost::"x" in Ghost::"x"',
  'principal has r.e.r', 'context has nested.r.e', 'context.nested.list.contains({n: 42, s: "n", b: false})',
  'datetime("2024-02-29").offset(duration("365d")) == datetime("2025-02-28")', 'duration("1d") > duration("23h59m59s999ms")',
  'datetime("2024-01-01T00:00:00+2359") < datetime("2024-01-01")', 'ip("0.0.0.0/33").isIpv4()', 'ip("1.2.3.4/0") == ip("5.6.7.8/0")',
  'decimal("922337203685477.5807").greaterThan(decimal("-922337203685477.5808"))', '"\\u{10FFFF}" != ""',
  '"\\x41" == "A"', '"\\u{D800}" == ""', '"\\u{}" == ""', '"\\u{000041}" == "A"', '"\\u{1234567}" == ""', 'principal.hasTag(1)',
  'principal.getTag("e").n == 1', '[principal, resource].containsAll([resource])', 'if principal has n then principal.n > 0 else false',
];

// data corners applied to the generated case; each may make it a failure
const DATA_CORNERS = [
  ['entity_unknown_field', (c) => { if (c.entities.length) c.entities[0].foo = 1; }],
  ['entity_missing_attrs', (c) => { if (c.entities.length) delete c.entities[0].attrs; }],
  ['entity_missing_parents', (c) => { if (c.entities.length) delete c.entities[0].parents; }],
  ['json_negative_zero', (c) => { c.context.z = new RawNum('-0'); }],
  ['json_exponent', (c) => { c.context.z = new RawNum(pick(['1e2', '1E2', '-0.0', '10.0'])); }],
  ['json_extn_extra_key', (c) => { c.context.z = { __extn: { fn: 'ip', arg: '1.2.3.4', x: 1 } }; }],
  ['json_extn_no_arg', (c) => { c.context.z = { __extn: { fn: 'ip' } }; }],
  ['json_entity_extra_key', (c) => { c.context.z = { __entity: { type: 'User', id: 'alice' }, x: 1 }; }],
  ['json_entity_escape_bad', (c) => { c.context.z = { __entity: { type: 'User' } }; }],
  ['json_parent_not_uid', (c) => { if (c.entities.length) c.entities[0].parents = [1]; }],
  ['json_tag_null', (c) => { if (c.entities.length) c.entities[0].tags = { t1: null }; }],
  ['json_uid_number_id', (c) => { c.principal = { type: 'User', id: 1n }; }],
  ['json_context_extn', (c) => { c.context = { __extn: { fn: 'decimal', arg: '1.0' } }; }],
  ['json_context_entity', (c) => { c.context = { __entity: { type: 'User', id: 'alice' } }; }],
  ['json_set_of_sets', (c) => { c.context.z = [[1, 2], [], [[3n]]]; }],
  ['json_empty_key', (c) => { c.context[''] = true; }],
  ['json_big_negative', (c) => { c.context.n = new RawNum('-9223372036854775809'); }],
  ['json_action_parent_user', (c) => { c.entities.push({ uid: { type: 'Action', id: 'odd' }, attrs: {}, parents: [{ type: 'User', id: 'alice' }] }); }],
];

// ---------------------------------------------------------------- broken input

const MUTATIONS = [
  ['drop_char', (s) => { const i = int(0, Math.max(0, s.length - 1)); return s.slice(0, i) + s.slice(i + 1); }],
  ['truncate', (s) => s.slice(0, int(0, Math.max(0, s.length - 2)))],
  ['stray_token', (s) => { const i = int(0, s.length); return s.slice(0, i) + pick([')', '(', ';', '}', ',', '==', '"', '::', '@']) + s.slice(i); }],
  ['bad_keyword', (s) => s.replace(/permit|forbid/, pick(['permitt', 'allow', 'Permit']))],
  ['empty_when', (s) => s.replace(/;\s*$/, ' when { };')],
  ['unknown_function', (s) => s.replace(/;\s*$/, ' when { foo(1) };')],
  ['unknown_method', (s) => s.replace(/;\s*$/, ' when { principal.foo() };')],
  ['bad_escape', (s) => s.replace(/;\s*$/, ' when { "\\q" == "" };')],
  ['star_escape_in_string', (s) => s.replace(/;\s*$/, ' when { "\\*" == "*" };')],
  ['long_too_large', (s) => s.replace(/;\s*$/, ' when { 9223372036854775808 > 0 };')],
  ['neg_paren_min', (s) => s.replace(/;\s*$/, ' when { -(9223372036854775808) < 0 };')],
  ['chained_relation', (s) => s.replace(/;\s*$/, ' when { 1 < 2 < 3 };')],
  ['reserved_attr', (s) => s.replace(/;\s*$/, ' when { context.if };')],
  ['dup_record_key', (s) => s.replace(/;\s*$/, ' when { {a: 1, a: 2} == {a: 1} };')],
  ['too_many_bangs', (s) => s.replace(/;\s*$/, ' when { !!!!!true };')],
  ['action_is', (s) => s.replace(/action(,|\s*==[^,]*,|\s*in[^,]*,)/, 'action is Action,')],
  ['missing_semicolon', (s) => s.replace(/;\s*$/, '')],
  ['dup_annotation', (s) => '@id("a")\n@id("b")\n' + s],
  ['slot_in_static', (s) => s.replace(/principal(?=\s*,)/, 'principal == ?principal')],
  ['bad_unicode_escape', (s) => s.replace(/;\s*$/, ' when { "\\u{110000}" == "" };')],
  ['var_typo', (s) => s.replace(/;\s*$/, ' when { principals == principal };')],
  ['unterminated_string', (s) => s.replace(/;\s*$/, ' when { "abc == "" };')],
];

// ---------------------------------------------------------------- a case

function genCase(seed, i) {
  rnd = caseRng(seed, i);
  TAGS = new Set();
  G = {};
  const kind = wpick([[40, 'well_typed'], [55, 'ill_typed'], [5, 'broken']]);
  G.pBad = kind === 'well_typed' ? 0 : 0.08;
  buildUniverse();
  G.principal = chance(0.85) ? G.pool[0] : pickUid();
  G.resource = chance(0.85) ? G.pool[1] : pickUid();
  G.action = chance(0.9) ? pick(ACTIONS.slice(0, 4)).uid : pick(ACTIONS).uid;
  if (G.action.type !== 'Action') tag('action_namespaced');
  const entities = buildEntities();
  const context = buildContext();

  const c = { id: `s${seed}-${i}` };
  const np = wpick([[1, 0], [4, 1], [4, 2], [3, 3], [1, 5], [0.3, 12]]);
  const pol = [];
  for (let k = 0; k < np; k++) pol.push(policyText(null));
  if (!np) tag('no_static_policies');
  if (np > 1) tag('multiple_policies');
  let templates;
  let links;
  if (chance(0.2)) {
    tag('template');
    templates = {};
    const nt = int(1, 2);
    for (let k = 0; k < nt; k++) {
      const sl = wpick([[2, { principal: true }], [2, { resource: true }], [1, { principal: true, resource: true }]]);
      templates['t' + k] = { text: policyText(sl), slots: sl };
    }
    links = [];
    const nl = int(0, 3);
    for (let k = 0; k < nl; k++) {
      const tid = 't' + int(0, nt - 1);
      const v = {};
      if (templates[tid].slots.principal) v['?principal'] = uidJson(chance(0.7) ? pickAncestorOr(G.principal) : pickUid());
      if (templates[tid].slots.resource) v['?resource'] = uidJson(chance(0.7) ? pickAncestorOr(G.resource) : pickUid());
      links.push({ template: tid, id: pick(['L', 'link']) + k, values: v });
      tag('link');
    }
    if (!nl) tag('template_unlinked');
    if (chance(0.05)) {
      const bad = pick(['missing_template', 'missing_slot_value', 'extra_slot_value', 'dup_link_id', 'link_id_is_policy', 'unknown_slot', 'template_is_static']);
      tag('link_' + bad); G.brokenInput = true;
      if (bad === 'missing_template') links.push({ template: 'nope', id: 'Lx', values: {} });
      else if (bad === 'missing_slot_value') links.push({ template: 't0', id: 'Lx', values: {} });
      else if (bad === 'extra_slot_value') links.push({ template: 't0', id: 'Lx', values: { '?principal': uidJson(G.principal), '?resource': uidJson(G.resource) } });
      else if (bad === 'dup_link_id') links.push({ template: 't0', id: 'Ldup', values: {} }, { template: 't0', id: 'Ldup', values: {} });
      else if (bad === 'link_id_is_policy') links.push({ template: 't0', id: np ? 'policy0' : 't0', values: {} });
      else if (bad === 'unknown_slot') links.push({ template: 't0', id: 'Lx', values: { '?foo': uidJson(G.principal) } });
      else templates.t0.text = policyText(null);
      // values of the bad links are filled like the good ones unless the point is that they are missing
      for (const l of links) if (l.id === 'Ldup') {
        if (templates.t0.slots.principal) l.values['?principal'] = uidJson(G.principal);
        if (templates.t0.slots.resource) l.values['?resource'] = uidJson(G.resource);
      }
      if (bad === 'link_id_is_policy') {
        const l = links[links.length - 1];
        if (templates.t0.slots.principal) l.values['?principal'] = uidJson(G.principal);
        if (templates.t0.slots.resource) l.values['?resource'] = uidJson(G.resource);
      }
    }
  }
  if (kind === 'broken') {
    const [name, f] = pick(MUTATIONS);
    tag('invalid_syntax');
    tag('invalid_syntax:' + name);
    if (templates && chance(0.3)) { const k = pick(Object.keys(templates)); templates[k].text = f(templates[k].text); }
    else if (pol.length) { const k = int(0, pol.length - 1); pol[k] = f(pol[k]); }
    else pol.push(f(policyText(null)));
  }
  if (kind !== 'broken' && chance(0.08)) {
    tag('corner_expr');
    pol.push((chance(0.8) ? 'permit' : 'forbid') + '(principal, action, resource) when { ' + pick(CORNER_EXPRS) + ' };');
  }
  if (kind !== 'broken' && chance(0.05)) {
    tag('deep');
    pol.push((chance(0.8) ? 'permit' : 'forbid') + '(principal, action, resource) when { ' + deepCondition(context, entities) + ' };');
  }
  c.policies = pol.join(pick(['\n', '\n\n', ' ']));
  if (chance(0.03)) { tag('whitespace_tabs_crlf'); c.policies = c.policies.replace(/\n/g, '\r\n').replace(/ \(/g, '\t('); }
  if (chance(0.01)) { tag('only_comments'); c.policies = '// nothing here\n  // at all\n'; }
  if (templates) {
    c.templates = {};
    for (const [k, v] of Object.entries(templates)) c.templates[k] = v.text;
    c.links = links;
  }
  c.entities = entities;
  c.principal = uidJson(G.principal);
  c.action = uidJson(G.action);
  c.resource = uidJson(G.resource);
  if (chance(0.005)) { tag('request_bad_type_name'); G.brokenInput = true; c.principal = { type: 'Bad Type', id: 'x' }; }
  c.context = context;
  if (chance(0.03) && c.context && !Array.isArray(c.context)) {
    const [name, f] = pick(DATA_CORNERS);
    tag('data_corner'); tag('data_corner:' + name);
    f(c);
  }
  if (chance(0.03)) { tag('json_unicode_escapes'); G.asciiJson = true; }
  if (G.brokenInput) tag('broken_input');
  c.kind = kind;
  c.tags = [...TAGS].sort();
  return c;
}

// ---------------------------------------------------------------- output

function jstr(s, ascii) {
  const j = JSON.stringify(s);
  return ascii ? j.replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')) : j;
}
function ser(v, ascii = false) {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof RawNum) return v.s;
  if (typeof v === 'string') return jstr(v, ascii);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map((x) => ser(x, ascii)).join(',') + ']';
  return '{' + Object.entries(v).map(([k, x]) => jstr(k, ascii) + ':' + ser(x, ascii)).join(',') + '}';
}

async function main() {
  const args = process.argv.slice(2);
  let seed = 1, count = 100, start = 0;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--seed') seed = Number(args[++k]);
    else if (args[k] === '--count') count = Number(args[++k]);
    else if (args[k] === '--start') start = Number(args[++k]);
    else { process.stderr.write('usage: node gen.js --seed S --count N [--start I]\n'); process.exit(2); }
  }
  if (!Number.isInteger(seed) || !Number.isInteger(count) || !Number.isInteger(start)) {
    process.stderr.write('gen.js: --seed, --count and --start take integers\n'); process.exit(2);
  }
  let out = [];
  const flush = () => new Promise((res) => {
    const s = out.join('\n') + '\n';
    out = [];
    if (process.stdout.write(s)) res(); else process.stdout.once('drain', res);
  });
  for (let i = start; i < start + count; i++) {
    { const c = genCase(seed, i); out.push(ser(c, G.asciiJson)); }
    if (out.length >= 500) await flush();
  }
  if (out.length) await flush();
}

if (require.main === module) main();
module.exports = { genCase, ser, EXT_POOLS };
