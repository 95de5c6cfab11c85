'use strict';
// JSON with exact numbers: parse() keeps every number as its source text
// (an LNum), stringify() writes it back unchanged.  Cedar longs are 64-bit and
// the JSON of a case may hold 9223372036854775807 or an (invalid) 1.0; a JS
// number would round the first and turn the second into 1.

class LNum {
  constructor(text) { this.text = text; }
  toJSON() { return Number(this.text); } // only for display
}

function parse(text) {
  let i = 0;
  const n = text.length;
  const fail = (msg) => { throw new SyntaxError(`${msg} at offset ${i}`); };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++; else return;
    }
  };
  const NUM = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  function str() {
    // text[i] === '"'
    let j = i + 1;
    let simple = true;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 34) break;
      if (c === 92) { simple = false; j++; } else if (c < 32) fail('control character in string');
    }
    if (j >= n) fail('unterminated string');
    const raw = text.slice(i, j + 1);
    i = j + 1;
    return simple ? raw.slice(1, -1) : JSON.parse(raw);
  }
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o = {};
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        const v = value();
        if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new LNum(m[0]);
  }
  const v = value();
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

function stringify(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return JSON.stringify(v);
    case 'bigint': return v.toString();
    case 'undefined': return undefined;
    default: break;
  }
  if (v instanceof LNum) return v.text;
  if (Array.isArray(v)) return '[' + v.map((x) => { const s = stringify(x); return s === undefined ? 'null' : s; }).join(',') + ']';
  const parts = [];
  for (const k of Object.keys(v)) {
    const s = stringify(v[k]);
    if (s !== undefined) parts.push(JSON.stringify(k) + ':' + s);
  }
  return '{' + parts.join(',') + '}';
}

module.exports = { LNum, parse, stringify };
