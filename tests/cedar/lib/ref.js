'use strict';
// The reference side of the batch protocol: one case object in, one answer
// object out, computed by @cedar-policy/cedar-wasm (pinned in package.json).
//
// Numbers: the case must have been parsed with parseLossless() so that every
// JSON number reaches the wasm side as its exact source text (cedar-wasm
// serialises its argument with JSON.stringify, which would otherwise round
// longs beyond 2^53 and turn 1.0 into 1).  That needs JSON.rawJSON, which
// node 20 has behind --harmony-json-parse-with-source; ensureRawJson() re-runs
// the current script with that flag when it is missing.

const path = require('path');

function ensureRawJson() {
  if (typeof JSON.rawJSON === 'function') return;
  const { spawnSync } = require('child_process');
  const r = spawnSync(process.execPath,
    ['--harmony-json-parse-with-source', ...process.execArgv, process.argv[1], ...process.argv.slice(2)],
    { stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}

let cedar = null;
function wasm() {
  if (!cedar) {
    try {
      cedar = require(path.join(__dirname, '..', 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs'));
    } catch (e) {
      process.stderr.write('cedar-wasm is not installed: run tests/cedar/setup.sh\n');
      throw e;
    }
  }
  return cedar;
}

// JSON.parse that keeps every number as its source text (JSON.rawJSON).
function parseLossless(text) {
  return JSON.parse(text, (k, v, ctx) =>
    (typeof v === 'number' && ctx && typeof ctx.source === 'string') ? JSON.rawJSON(ctx.source) : v);
}

function messages(errs) {
  return (errs || []).map((e) => (e && e.message) || String(e)).join('; ') || 'failure';
}

function sortedUnique(a) {
  return [...new Set(a)].sort();
}

// The wasm call for a batch case.
function toCall(c) {
  const policies = { staticPolicies: c.policies === undefined ? '' : c.policies };
  if (c.templates !== undefined) policies.templates = c.templates;
  if (c.links !== undefined) {
    policies.templateLinks = Array.isArray(c.links)
      ? c.links.map((l) => ({ templateId: l && l.template, newId: l && l.id, values: l && l.values }))
      : c.links;
  }
  return {
    principal: c.principal,
    action: c.action,
    resource: c.resource,
    context: c.context === undefined ? {} : c.context,
    policies,
    entities: c.entities === undefined ? [] : c.entities,
  };
}

// Answer one case (an object from parseLossless).
function answer(c) {
  const id = c && c.id !== undefined ? c.id : null;
  let r;
  try {
    r = wasm().isAuthorized(toCall(c));
  } catch (e) {
    // cedar-wasm throws (instead of answering "failure") for inputs its serde
    // layer rejects, e.g. an unknown slot name in a link's values.
    return { id, failure: String((e && e.message) || e) };
  }
  if (!r || r.type !== 'success') return { id, failure: messages(r && r.errors) };
  const d = r.response.diagnostics;
  return {
    id,
    decision: r.response.decision,
    reason: sortedUnique(d.reason),
    errors: sortedUnique(d.errors.map((e) => e.policyId)),
    failure: null,
  };
}

module.exports = { ensureRawJson, parseLossless, answer, toCall, wasm };
