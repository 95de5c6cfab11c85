#!/usr/bin/env node
'use strict';
// integration.js: the Cedar project's integration tests (cedar-integration-tests)
// run through a cedar_batch engine.
//
//   node integration.js [--engine CMD] [--dir DIR] [--direct] [--dump FILE]
//
// --engine CMD  the batch engine command line (run with sh -c); required unless --direct
// --dir DIR     the cedar-integration-tests checkout (default: $CEDAR_INTEGRATION_TESTS,
//               else ../shared/cedar-integration-tests relative to the repository root)
// --direct      no engine: ask cedar-wasm directly, with the test's schema, as
//               the Rust test harness does (checks our reading of the test format)
// --dump FILE   also write the converted batch cases to FILE
//
// Every request of every tests/*/*.json becomes one batch case.  The tests
// come with a schema, and the Rust harness parses entities and context *with*
// it; our engine takes no schema, so the schema's effect on the data is
// applied here, turning the data into the schema-free JSON the batch format
// carries:
//   - an attribute the schema types as an entity, written {"type","id"},
//     becomes {"__entity": {...}};
//   - an attribute the schema types as ipaddr/decimal/datetime/duration,
//     written as a string, becomes {"__extn": {"fn", "arg"}};
//   - the action entities (and their memberOf hierarchy) the schema declares
//     are added to the entities.
// Request validation (validateRequest, default true in the harness) only
// rejects requests; the harness treats a rejected request as a broken test,
// so every request in the suite is valid and its answer is the same without
// validation.  shouldValidate concerns the validator, not authorization.
// Both are therefore not needed for the comparison; we do no validation.
// A request is "unsupported" only when it cannot be put in the batch format
// (a missing principal/action/resource, a schema we cannot apply).

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const ref = require('./lib/ref');

const args = process.argv.slice(2);
let engine = null;
let dir = null;
let direct = false;
let dump = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--engine') engine = args[++i];
  else if (args[i] === '--dir') dir = args[++i];
  else if (args[i] === '--direct') direct = true;
  else if (args[i] === '--dump') dump = args[++i];
  else { process.stderr.write('usage: integration.js [--engine CMD] [--dir DIR] [--direct] [--dump FILE]\n'); process.exit(2); }
}
const root = path.resolve(__dirname, '..', '..');
const shown = process.env.CEDAR_INTEGRATION_TESTS || '../shared/cedar-integration-tests';
if (!dir) dir = path.resolve(root, shown);
if (!fs.existsSync(path.join(dir, 'tests'))) {
  console.log(`integration: SKIPPED (${process.env.CEDAR_INTEGRATION_TESTS || '../shared/cedar-integration-tests'} not present)`);
  process.exit(0);
}
if (!engine && !direct) { process.stderr.write('integration.js: --engine CMD or --direct\n'); process.exit(2); }

// ------------------------------------------------------------ schema

const EXT_FN = { ipaddr: 'ip', decimal: 'decimal', datetime: 'datetime', duration: 'duration' };
const PRIM = { Bool: 'Bool', Boolean: 'Bool', Long: 'Long', String: 'String' };

class SchemaInfo {
  constructor(json) {
    this.json = json;
    this.entityTypes = new Map(); // full name -> {shape, tags, ns}
    this.commonTypes = new Map(); // full name -> {type, ns}
    this.actions = new Map();     // full uid key -> {uid, parents, context, ns}
    for (const [ns, def] of Object.entries(json)) {
      const q = (n) => (ns ? ns + '::' + n : n);
      for (const [n, t] of Object.entries(def.commonTypes || {})) this.commonTypes.set(q(n), { type: t, ns });
      for (const [n, t] of Object.entries(def.entityTypes || {})) this.entityTypes.set(q(n), { def: t, ns });
      const atype = q('Action');
      for (const [id, a] of Object.entries(def.actions || {})) {
        const uid = { type: atype, id };
        const parents = (a.memberOf || []).map((m) => ({ type: m.type ? this.qualifyAction(m.type, ns) : atype, id: m.id }));
        this.actions.set(atype + '::' + JSON.stringify(id), { uid, parents, attrs: a.attributes || {}, ctx: a.appliesTo && a.appliesTo.context, ns });
      }
    }
  }
  qualifyAction(t, ns) { return t.includes('::') || !ns ? t : ns + '::' + t; }
  // resolve a type name used in namespace ns to {kind, ...}
  resolveName(name, ns) {
    if (name.startsWith('__cedar::')) return this.builtin(name.slice(9));
    const cands = name.includes('::') ? [name] : [ns ? ns + '::' + name : name, name];
    for (const c of cands) {
      if (this.commonTypes.has(c)) { const ct = this.commonTypes.get(c); return { kind: 'common', type: ct.type, ns: ct.ns }; }
      if (this.entityTypes.has(c)) return { kind: 'entity', name: c };
    }
    const b = this.builtin(name);
    if (b) return b;
    return { kind: 'entity', name: cands[0] }; // undeclared entity type: kept as given
  }
  builtin(n) {
    if (PRIM[n]) return { kind: 'prim', name: PRIM[n] };
    if (EXT_FN[n]) return { kind: 'ext', name: n };
    return null;
  }
}

// convert a JSON value according to a schema type (in namespace ns)
function convert(S, v, t, ns, depth = 0) {
  if (v === null || v === undefined || !t || depth > 64) return v;
  switch (t.type) {
    case 'Set':
      return Array.isArray(v) ? v.map((x) => convert(S, x, t.element, ns, depth + 1)) : v;
    case 'Record':
      return convertRecord(S, v, t, ns, depth);
    case 'Entity':
      return toEntity(v);
    case 'Extension':
      return toExtn(v, t.name);
    case 'Long': case 'String': case 'Boolean': case 'Bool':
      return v;
    case 'EntityOrCommon':
    default: {
      const name = t.type === 'EntityOrCommon' ? t.name : t.type;
      const r = S.resolveName(name, ns);
      if (r.kind === 'common') return convert(S, v, r.type, r.ns, depth + 1);
      if (r.kind === 'entity') return toEntity(v);
      if (r.kind === 'ext') return toExtn(v, r.name);
      return v;
    }
  }
}
function convertRecord(S, v, t, ns, depth) {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof ref.LNum) return v;
  const o = {};
  for (const [k, x] of Object.entries(v)) {
    const at = t.attributes && t.attributes[k];
    o[k] = at ? convert(S, x, at, ns, depth + 1) : x;
  }
  return o;
}
function toEntity(v) {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.type === 'string' && typeof v.id === 'string' && !('__entity' in v)) {
    return { __entity: { type: v.type, id: v.id } };
  }
  return v;
}
function toExtn(v, name) {
  if (typeof v === 'string') return { __extn: { fn: EXT_FN[name] || name, arg: v } };
  return v;
}

function uidOf(u) { return u && (u.__entity || u); }
function key(u) { const x = uidOf(u); return x.type + '::' + JSON.stringify(x.id); }

function convertEntities(S, ents) {
  const out = [];
  for (const e of ents) {
    const uid = uidOf(e.uid);
    if (S.actions.has(key(uid))) continue; // the schema's declaration is used instead
    const et = S.entityTypes.get(uid.type);
    const def = et && et.def;
    const ns = et ? et.ns : '';
    const c = { uid: e.uid, attrs: e.attrs || {}, parents: e.parents || [] };
    if (def && def.shape) c.attrs = convert(S, c.attrs, def.shape, ns);
    if (e.tags !== undefined) {
      c.tags = e.tags;
      if (def && def.tags && e.tags && typeof e.tags === 'object') {
        c.tags = {};
        for (const [k, x] of Object.entries(e.tags)) c.tags[k] = convert(S, x, def.tags, ns);
      }
    }
    out.push(c);
  }
  for (const a of S.actions.values()) out.push({ uid: a.uid, attrs: a.attrs, parents: a.parents });
  return out;
}

// ------------------------------------------------------------ tests

function normAnswer(req) {
  const errs = (req.errors || []).map((e) => (typeof e === 'string' ? e : (e.policyId || e.policy_id || e.id)));
  return {
    decision: String(req.decision).toLowerCase(),
    reason: [...new Set(req.reason || [])].sort(),
    errors: [...new Set(errs)].sort(),
  };
}

const files = [];
for (const d of fs.readdirSync(path.join(dir, 'tests')).sort()) {
  const p = path.join(dir, 'tests', d);
  if (!fs.statSync(p).isDirectory()) continue;
  for (const f of fs.readdirSync(p).sort()) if (f.endsWith('.json')) files.push(path.join('tests', d, f));
}

const cases = [];       // {id, file, desc, expected, batch, direct}
const unsupported = []; // {id, reason}
const schemaCache = new Map();
for (const f of files) {
  const t = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const policies = fs.readFileSync(path.join(dir, t.policies), 'utf8');
  const entities = ref.parse(fs.readFileSync(path.join(dir, t.entities), 'utf8'));
  let S = null;
  let schemaText = null;
  let schemaErr = null;
  if (t.schema) {
    schemaText = fs.readFileSync(path.join(dir, t.schema), 'utf8');
    if (!schemaCache.has(t.schema)) {
      const isJson = t.schema.endsWith('.json');
      const r = ref.wasm().schemaToJson(isJson ? JSON.parse(schemaText) : schemaText);
      schemaCache.set(t.schema, r.type === 'success' ? new SchemaInfo(r.json) : (r.errors || []).map((e) => e.message).join('; '));
    }
    const s = schemaCache.get(t.schema);
    if (typeof s === 'string') schemaErr = s; else S = s;
    if (t.schema.endsWith('.json')) schemaText = JSON.parse(schemaText);
  }
  t.requests.forEach((req, i) => {
    const id = `${f}#${i}`;
    const desc = req.description || req.desc || '';
    if (!req.principal || !req.action || !req.resource) {
      unsupported.push({ id, desc, reason: 'request without principal, action or resource (an unknown, partial request)' });
      return;
    }
    if (schemaErr) { unsupported.push({ id, desc, reason: 'schema cannot be applied: ' + schemaErr }); return; }
    const context = req.context === undefined ? {} : ref.parse(JSON.stringify(req.context));
    let batchEntities = entities;
    let batchContext = context;
    if (S) {
      batchEntities = convertEntities(S, entities);
      const a = S.actions.get(key(req.action));
      if (a && a.ctx) batchContext = convert(S, context, a.ctx, a.ns);
    }
    cases.push({
      id, file: f, desc, expected: normAnswer(req),
      batch: { id, policies, entities: batchEntities, principal: req.principal, action: req.action, resource: req.resource, context: batchContext },
      direct: { id, policies, entities, principal: req.principal, action: req.action, resource: req.resource, context,
        schema: schemaText === null ? undefined : schemaText, validateRequest: req.validateRequest !== false && schemaText !== null },
    });
  });
}

// ------------------------------------------------------------ run

const answers = new Map();
if (dump) fs.writeFileSync(dump, cases.map((c) => ref.stringify(c.batch)).join('\n') + '\n');
if (direct) {
  for (const c of cases) answers.set(c.id, ref.answer(c.direct));
} else if (cases.length) {
  const input = cases.map((c) => ref.stringify(c.batch)).join('\n') + '\n';
  const r = spawnSync('sh', ['-c', engine], { input, maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  if (r.error) { console.log('integration: cannot run the engine: ' + r.error.message); process.exit(2); }
  if (r.status !== 0) console.log(`integration: engine exited with status ${r.status}`);
  for (const l of (r.stdout || '').split('\n')) {
    if (!l.trim()) continue;
    try { const a = JSON.parse(l); if (a && typeof a.id === 'string') answers.set(a.id, a); } catch (e) { /* counted as missing */ }
  }
}

let passed = 0;
let failed = 0;
for (const c of cases) {
  const a = answers.get(c.id);
  const e = c.expected;
  let why = null;
  if (!a) why = 'no answer';
  else if (a.failure !== undefined && a.failure !== null) why = 'failure: ' + a.failure;
  else {
    const got = { decision: a.decision, reason: [...new Set(a.reason || [])].sort(), errors: [...new Set(a.errors || [])].sort() };
    const bad = ['decision', 'reason', 'errors'].filter((k) => JSON.stringify(got[k]) !== JSON.stringify(e[k]));
    if (bad.length) why = 'different ' + bad.join('+') + ': got ' + JSON.stringify(got);
  }
  if (!why) { passed++; continue; }
  failed++;
  console.log(`FAIL ${c.id} (${c.desc}): ${why}; expected ${JSON.stringify(e)}`);
}
for (const u of unsupported) console.log(`UNSUPPORTED ${u.id} (${u.desc}): ${u.reason}`);
const total = cases.length + unsupported.length;
console.log(`integration: ${passed} passed, ${failed} failed, ${unsupported.length} unsupported of ${total}` +
  (direct ? ' (cedar-wasm directly, with schema)' : ''));
process.exit(failed ? 1 : 0);
