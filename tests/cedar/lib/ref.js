'use strict';
// The reference side of the batch protocol: one case object in, one answer
// object out, computed by @cedar-policy/cedar-wasm (pinned in package.json).
//
// Numbers: cases are parsed with lossless.parse() so that every JSON number
// keeps its source text.  cedar-wasm hands its argument to Rust through
// JSON.stringify; we load its nodejs glue with that one call replaced by
// lossless.stringify, so 9223372036854775807 reaches Cedar exactly and 1.0
// stays a (rejected) float.  (node 20's JSON.rawJSON, behind a flag, is not
// usable: it corrupts strings that mix non-ASCII text and raw numbers.)
//
// A wasm trap (Rust panic, stack overflow) leaves the instance unusable, so
// after a WebAssembly.RuntimeError the module is instantiated afresh.

const fs = require('fs');
const path = require('path');
const Module = require('module');
const lossless = require('./lossless');

const GLUE_DIR = path.join(__dirname, '..', 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs');
const NEEDLE = 'const ret = JSON.stringify(arg0);';

let cedar = null;
function load() {
  const file = path.join(GLUE_DIR, 'cedar_wasm.js');
  let src;
  try {
    src = fs.readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write('cedar-wasm is not installed: run tests/cedar/setup.sh\n');
    throw e;
  }
  if (!src.includes(NEEDLE)) throw new Error('cedar-wasm glue has no `' + NEEDLE + '` to hook (version changed?)');
  src = 'const __losslessStringify = require(' + JSON.stringify(path.join(__dirname, 'lossless.js')) + ').stringify;\n' +
    src.replace(NEEDLE, 'const ret = __losslessStringify(arg0);');
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(GLUE_DIR);
  m._compile(src, file);
  return m.exports;
}
function wasm() {
  if (!cedar) cedar = load();
  return cedar;
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
  const call = {
    principal: c.principal,
    action: c.action,
    resource: c.resource,
    context: c.context === undefined ? {} : c.context,
    policies,
    entities: c.entities === undefined ? [] : c.entities,
  };
  if (c.schema !== undefined) call.schema = c.schema; // integration sanity runs only
  if (c.validateRequest !== undefined) call.validateRequest = c.validateRequest;
  return call;
}

// Answer one case (an object from lossless.parse or JSON.parse).
function answer(c) {
  const id = c && c.id !== undefined ? c.id : null;
  let r;
  try {
    r = wasm().isAuthorized(toCall(c));
  } catch (e) {
    // cedar-wasm throws (instead of answering "failure") for inputs its serde
    // layer rejects, e.g. an unknown slot name in a link's values, and on traps.
    if (e instanceof WebAssembly.RuntimeError) cedar = null;
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

// Full diagnostics (messages included), for humans looking at a mismatch.
function explain(c) {
  try {
    return wasm().isAuthorized(toCall(c));
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) cedar = null;
    return { type: 'exception', message: String((e && e.message) || e) };
  }
}

module.exports = { answer, explain, toCall, wasm, parse: lossless.parse, stringify: lossless.stringify, LNum: lossless.LNum };
