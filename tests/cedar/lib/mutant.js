#!/usr/bin/env node
'use strict';
// A deliberately wrong "engine" for selftest.sh: the reference's answers with
// one kind of damage, so the self-test can show that diff.sh catches it.
//
//   node lib/mutant.js MODE < cases > answers
//
// Damaging modes (diff.sh must report mismatches):
//   flip          decision allow<->deny
//   drop_errors   forget the erroring policies
//   extra_error   report one more erroring policy
//   drop_reason   forget one determining policy
//   extra_reason  report one more determining policy
//   fail          answer "failure" for a case the reference evaluates
//   succeed       answer deny for a case the reference cannot evaluate
//   missing       no answer line for a case
//   garbage       an answer line that is not JSON
//   bad_decision  decision "Allow" (wrong spelling)
// Harmless modes (diff.sh must report 0 mismatches):
//   reorder       answers in reverse order, reason/errors lists reversed
//   message       different failure messages
// Damage is done to about 2% of the cases it applies to (chosen by a hash of
// the id) and always to the first case it applies to.
const ref = require('./ref');
const readline = require('readline');

const mode = process.argv[2];
const MODES = ['flip', 'drop_errors', 'extra_error', 'drop_reason', 'extra_reason', 'fail', 'succeed', 'missing',
  'garbage', 'bad_decision', 'reorder', 'message'];
if (!MODES.includes(mode)) {
  process.stderr.write('usage: mutant.js ' + MODES.join('|') + '\n');
  process.exit(2);
}

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

let first = true;
function applies(a) {
  const ok = !a.failure;
  switch (mode) {
    case 'flip': case 'fail': case 'extra_error': case 'extra_reason': case 'bad_decision': return ok;
    case 'drop_errors': return ok && a.errors.length > 0;
    case 'drop_reason': return ok && a.reason.length > 0;
    case 'succeed': case 'message': return !ok;
    default: return true;
  }
}

function damage(a) {
  switch (mode) {
    case 'flip': a.decision = a.decision === 'allow' ? 'deny' : 'allow'; return a;
    case 'drop_errors': a.errors = []; return a;
    case 'extra_error': a.errors = [...a.errors, 'policy99']; return a;
    case 'drop_reason': a.reason = a.reason.slice(1); return a;
    case 'extra_reason': a.reason = [...a.reason, 'policy99']; return a;
    case 'fail': return { id: a.id, failure: 'mutant: cannot evaluate' };
    case 'succeed': return { id: a.id, decision: 'deny', reason: [], errors: [], failure: null };
    case 'missing': return null;
    case 'garbage': return '{"id": ' + JSON.stringify(a.id) + ', "decision": ';
    case 'bad_decision': a.decision = a.decision === 'allow' ? 'Allow' : 'Deny'; return a;
    case 'reorder': if (a.reason) { a.reason.reverse(); a.errors.reverse(); } return a;
    case 'message': a.failure = 'a different message'; return a;
    default: return a;
  }
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out = [];
  for await (const line of rl) {
    if (!line.trim()) continue;
    const a = ref.answer(ref.parse(line));
    let b = a;
    if (mode === 'reorder' || mode === 'message' ? applies(a) : (applies(a) && (first || hash(a.id) % 50 === 0))) {
      if (mode !== 'reorder' && mode !== 'message') first = false;
      b = damage(a);
    }
    if (b === null) continue;
    out.push(typeof b === 'string' ? b : JSON.stringify(b));
  }
  if (mode === 'reorder') out.reverse();
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}
main();
