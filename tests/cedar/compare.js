#!/usr/bin/env node
'use strict';
// compare.js CASES REF_ANSWERS ENGINE_ANSWERS [--show K] [--label NAME]
//
// Compares two answer streams of the batch protocol case by case (matched by
// id).  Rule: both failed (messages are not compared), or both succeeded with
// the same decision, the same reason set and the same set of erroring
// policies.  Prints the first K mismatches in full (case, both answers, the
// reference's own messages), counts per kind of mismatch, the constructs the
// cases exercised (their "tags") and the reference's outcomes.
// Exit 0 when every case matches, 1 otherwise.

const fs = require('fs');
const readline = require('readline');

const REQUIRED = [
  // effects, annotations, scope
  'permit', 'forbid', 'annotation', 'annotation_no_value', 'scope_eq', 'scope_in', 'scope_is', 'scope_is_in',
  'action_eq', 'action_in', 'action_in_list', 'action_in_empty_list',
  'template', 'slot_principal', 'slot_resource', 'link', 'template_unlinked', 'when', 'unless', 'multiple_policies',
  // literals
  'lit_bool', 'lit_long', 'long_boundary', 'long_min_literal', 'lit_string', 'string_escape', 'string_unicode_escape',
  'string_nul', 'lit_entity', 'entity_namespaced', 'name_spaces', 'lit_set', 'lit_set_empty', 'lit_record',
  // operators
  '==', '!=', 'eq_mixed_types', 'cmp<', 'cmp<=', 'cmp>', 'cmp>=', 'cmp_datetime', 'cmp_duration', 'cmp_decimal',
  'cmp_String', '&&', '||', '!', 'short_circuit', 'neg', 'arith+', 'arith-', 'arith*', 'arith_overflow',
  'if_then_else', 'in', 'in_set', 'in_ancestor', 'has', 'has_extended', 'attr_dot', 'attr_index', 'attr_missing',
  'record_access', 'set_eq_permuted', 'record_eq', 'ext_eq', 'entity_eq', 'deref_entity_attr', 'like', 'like_wildcard', 'like_escaped_star', 'is', 'is_in',
  'contains', 'containsAll', 'containsAny', 'isEmpty', 'getTag', 'hasTag', 'getTag_missing', 'guarded_access',
  'var_principal', 'var_action', 'var_resource', 'var_context', 'type_mismatch', 'ill_typed', 'error_expr',
  // extensions
  'ip()', 'ip_invalid', 'ip.isIpv4', 'ip.isIpv6', 'ip.isLoopback', 'ip.isMulticast', 'ip.isInRange',
  'decimal()', 'decimal_invalid', 'decimal.lessThan', 'decimal.lessThanOrEqual', 'decimal.greaterThan',
  'decimal.greaterThanOrEqual', 'datetime()', 'datetime_invalid', 'datetime.offset', 'datetime.durationSince',
  'datetime.toDate', 'datetime.toTime', 'duration()', 'duration_invalid', 'duration.toMilliseconds',
  'duration.toSeconds', 'duration.toMinutes', 'duration.toHours', 'duration.toDays', 'ext_ctor_dynamic',
  // data
  'corner_expr', 'data_corner', 'json_unicode_escapes', 'whitespace_tabs_crlf', 'only_comments',
  'deep', 'deep_parens', 'deep_sum_chain', 'deep_and_chain', 'deep_if_chain', 'deep_record', 'deep_hierarchy', 'big_set',
  'hier_random', 'hier_chain', 'hier_deep_chain', 'hier_diamond', 'hier_flat', 'hier_cycle', 'entity_tags',
  'entity_not_in_store', 'parent_not_in_store', 'action_hierarchy', 'action_attrs', 'action_namespaced',
  'json_extn', 'json_extn_invalid', 'json_uid_escape_form', 'json_bare_uid_record', 'json_value_wrong_type',
  'json_null_attr', 'json_float_attr', 'json_long_out_of_range', 'entity_duplicate_identical',
  'entity_duplicate_conflicting', 'entity_bad_type_name', 'context_not_record', 'request_bad_type_name',
  // broken policy sets
  'invalid_syntax', 'link_missing_template', 'link_missing_slot_value', 'link_extra_slot_value', 'link_dup_link_id',
  'link_link_id_is_policy', 'link_unknown_slot', 'link_template_is_static', 'invalid_syntax:slot_in_static',
];

function usage() {
  process.stderr.write('usage: compare.js CASES REF_ANSWERS ENGINE_ANSWERS [--show K] [--label NAME]\n');
  process.exit(2);
}

async function* lines(file) {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const l of rl) if (l.trim()) yield l;
}

async function loadAnswers(file) {
  const m = new Map();
  const bad = [];
  let dup = 0;
  if (!fs.existsSync(file)) return { m, bad: ['(no output file)'], dup };
  for await (const l of lines(file)) {
    let a;
    try { a = JSON.parse(l); } catch (e) { bad.push(l.slice(0, 200)); continue; }
    if (!a || typeof a !== 'object' || typeof a.id !== 'string') { bad.push(l.slice(0, 200)); continue; }
    if (m.has(a.id)) dup++;
    m.set(a.id, a);
  }
  return { m, bad, dup };
}

// normal form of an answer, or a string saying why it is malformed
function norm(a) {
  if (a === undefined) return 'no answer';
  if (a.failure !== undefined && a.failure !== null) {
    if (typeof a.failure !== 'string') return 'failure is not a string';
    return { failed: true };
  }
  if (a.decision !== 'allow' && a.decision !== 'deny') return 'decision is neither "allow" nor "deny"';
  if (!Array.isArray(a.reason) || !a.reason.every((x) => typeof x === 'string')) return 'reason is not a list of ids';
  if (!Array.isArray(a.errors) || !a.errors.every((x) => typeof x === 'string')) return 'errors is not a list of ids';
  return { failed: false, decision: a.decision, reason: [...new Set(a.reason)].sort(), errors: [...new Set(a.errors)].sort() };
}

function diffKind(r, e) {
  if (typeof e === 'string') return 'engine answer malformed: ' + e;
  if (typeof r === 'string') return 'reference answer malformed: ' + r;
  if (r.failed && e.failed) return null;
  if (r.failed) return 'engine succeeded where the reference failed';
  if (e.failed) return 'engine failed where the reference succeeded';
  const k = [];
  if (r.decision !== e.decision) k.push('decision');
  if (JSON.stringify(r.reason) !== JSON.stringify(e.reason)) k.push('reason');
  if (JSON.stringify(r.errors) !== JSON.stringify(e.errors)) k.push('errors');
  return k.length ? 'different ' + k.join('+') : null;
}

async function main() {
  const args = process.argv.slice(2);
  let show = 5;
  let label = 'differential';
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--show') show = Number(args[++i]);
    else if (args[i] === '--label') label = args[++i];
    else files.push(args[i]);
  }
  if (files.length !== 3) usage();
  const [casesFile, refFile, engFile] = files;
  const ref = await loadAnswers(refFile);
  const eng = await loadAnswers(engFile);

  let n = 0;
  let mismatches = 0;
  const kinds = {};
  const tags = {};
  const outcomes = {};
  const shown = [];
  const inc = (o, k) => { o[k] = (o[k] || 0) + 1; };
  for await (const l of lines(casesFile)) {
    n++;
    const c = JSON.parse(l);
    for (const t of c.tags || []) inc(tags, t);
    const ra = ref.m.get(c.id);
    const r = norm(ra);
    if (typeof r !== 'string') {
      if (r.failed) inc(outcomes, 'failure');
      else {
        inc(outcomes, r.decision);
        if (r.errors.length) inc(outcomes, 'with erroring policies');
        if (r.decision === 'deny' && r.reason.length) inc(outcomes, 'deny by forbid');
        if (r.decision === 'deny' && !r.reason.length) inc(outcomes, 'deny by default');
      }
    }
    const ea = eng.m.get(c.id);
    const k = diffKind(r, norm(ea));
    if (!k) continue;
    mismatches++;
    inc(kinds, k);
    if (shown.length < show) shown.push({ c, l, ra, ea, k });
  }

  if (shown.length) {
    let explain = null;
    try { explain = require('./lib/ref'); } catch (e) { /* reference not installed: no messages */ }
    for (const s of shown) {
      console.log(`--- mismatch (${s.k}): ${s.c.id}`);
      const m = /^s(-?\d+)-(\d+)$/.exec(s.c.id);
      if (m) console.log(`regenerate: node gen.js --seed ${m[1]} --start ${m[2]} --count 1`);
      console.log('case:      ' + s.l);
      console.log('reference: ' + JSON.stringify(s.ra));
      console.log('engine:    ' + JSON.stringify(s.ea));
      if (explain) {
        const x = explain.explain(explain.parse(s.l));
        if (x.type === 'success') {
          for (const e of x.response.diagnostics.errors) console.log(`  reference error in ${e.policyId}: ${e.error.message}`);
        } else console.log('  reference failure: ' + (x.errors ? x.errors.map((e) => e.message).join('; ') : x.message));
      }
    }
  }
  const extra = [];
  for (const id of eng.m.keys()) if (!ref.m.has(id)) extra.push(id);
  if (eng.bad.length) console.log(`engine: ${eng.bad.length} unparsable or id-less answer lines, first: ${eng.bad[0]}`);
  if (eng.dup) console.log(`engine: ${eng.dup} duplicate answer ids`);
  if (ref.bad.length) console.log(`reference: ${ref.bad.length} unparsable answer lines, first: ${ref.bad[0]}`);
  if (extra.length) console.log(`engine: ${extra.length} answers for ids that are not cases, first: ${extra[0]}`);
  for (const [k, v] of Object.entries(kinds).sort((a, b) => b[1] - a[1])) console.log(`  ${v} x ${k}`);

  console.log('coverage (cases per construct):');
  const keys = Object.keys(tags).sort();
  const w = Math.max(...keys.map((k) => k.length), 10);
  for (const k of keys) console.log('  ' + k.padEnd(w) + ' ' + tags[k]);
  const missing = REQUIRED.filter((t) => !tags[t]);
  console.log(missing.length ? `coverage: MISSING ${missing.join(', ')}` : `coverage: all ${REQUIRED.length} listed constructs exercised`);
  console.log('reference outcomes: ' + Object.entries(outcomes).sort().map(([k, v]) => `${k} ${v}`).join(', '));

  const fail = mismatches || eng.bad.length || eng.dup || extra.length || ref.bad.length;
  console.log(`${label}: ${n} cases, ${mismatches} mismatches`);
  process.exit(fail ? 1 : 0);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(2); });
