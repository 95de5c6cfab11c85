#!/usr/bin/env node
/*
 * Asks the reference (cedar-wasm 4.5.0) what the four Cedar extension
 * types do with every tricky input we could think of, so that
 * policyd/cedar/ext.c can be checked against it.
 *
 *   mkdir -p /tmp/cedarwasm && cd /tmp/cedarwasm &&
 *     npm install @cedar-policy/cedar-wasm@4.5.0
 *   NODE_PATH=/tmp/cedarwasm/node_modules node tests/cedar/probe_ext.js \
 *     [--c | --write-c tests/unit/test_cedar_ext.c]
 *
 * Every value is read back from the reference itself: longs by binary
 * search on comparisons, decimals by binary search on lessThanOrEqual,
 * addresses by equality with a fully expanded form computed here (so a
 * wrong expansion shows up as a failure). Without --c it prints one line
 * per case and "N passed, N failed" (a case fails when the reference
 * contradicts itself, e.g. the expansion is not equal). With --c it prints
 * the C tables used by tests/unit/test_cedar_ext.c; --write-c FILE puts
 * them between the GENERATED markers of FILE.
 */
'use strict';

const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const fs = require('fs');

const writeC = process.argv.includes('--write-c')
	? process.argv[process.argv.indexOf('--write-c') + 1] : null;
const emitC = writeC !== null || process.argv.includes('--c');
const cLines = [];
const out = (line) => (emitC ? cLines.push(line) : console.log(line));
let passed = 0;
let failed = 0;

/* Evaluate a boolean Cedar condition with context.s (and context.t) bound
 * to strings: true/false, or {err} with the reference's message. */
function evaluate(cond, ctx) {
	const r = cedar.isAuthorized({
		principal: {type: 'U', id: 'a'},
		action: {type: 'A', id: 'a'},
		resource: {type: 'R', id: 'a'},
		context: ctx || {},
		policies: {staticPolicies:
			`permit(principal,action,resource) when { ${cond} };`},
		entities: [],
	});
	if (r.type !== 'success')
		throw new Error(`policy rejected: ${cond}: ${JSON.stringify(r.errors)}`);
	const errs = r.response.diagnostics.errors;
	if (errs.length)
		return {err: errs[0].error.message};
	return r.response.decision === 'allow';
}

function check(label, ok, detail) {
	if (ok)
		passed++;
	else
		failed++;
	if (!emitC || !ok)
		console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ' ' + detail : ''}`);
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/* Cedar text for a long literal; the minimum has no positive twin. */
function lit(n) {
	return n === I64_MIN ? '(-9223372036854775807 - 1)' : n.toString();
}

/* Largest n in [lo, hi] with pred(n) true; pred is monotone (true then false). */
function searchMax(lo, hi, pred) {
	while (lo < hi) {
		const mid = lo + (hi - lo + 1n) / 2n;
		if (pred(mid))
			lo = mid;
		else
			hi = mid - 1n;
	}
	return lo;
}

/* The exact long a (non-failing) Cedar long expression evaluates to. */
function readLong(expr, ctx) {
	const v = searchMax(I64_MIN, I64_MAX, (n) => {
		const r = evaluate(`${lit(n)} <= ${expr}`, ctx);
		if (typeof r !== 'boolean')
			throw new Error(`${expr}: ${r.err}`);
		return r;
	});
	if (evaluate(`${expr} == ${lit(v)}`, ctx) !== true)
		throw new Error(`${expr}: search did not converge`);
	return v;
}

/* C string literal and byte length: printable ASCII as is, every other
 * byte (UTF-8, control, NUL) as a three-digit octal escape */
function cstr(s) {
	let out = '"';
	const bytes = Buffer.from(s, 'utf8');
	for (const b of bytes) {
		const c = String.fromCharCode(b);
		if (b >= 0x20 && b < 0x7f && c !== '"' && c !== '\\' && c !== '?')
			out += c;
		else
			out += '\\' + b.toString(8).padStart(3, '0');
	}
	return `${out}", ${bytes.length}`;
}

/* ---------------- ip ---------------- */

const ipInputs = [
	// IPv4
	'1.2.3.4', '0.0.0.0', '255.255.255.255', '256.0.0.0', '1.2.3.256',
	'01.2.3.4', '1.2.3.04', '1.2.3.00', '000.0.0.0', '1.2.3', '1.2.3.4.5',
	'1..3.4', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4',
	'1.2.3.+4', '0x1.2.3.4', '1234.1.1.1', '127.1', '2130706433',
	'1.2.3.4:80', '1.2.3.4%eth0', '', '1.2.3.4\0', '\0', '1.2\0.3.4',
	// IPv4 prefixes
	'1.2.3.4/0', '1.2.3.4/00', '1.2.3.4/08', '1.2.3.4/8', '1.2.3.4/32',
	'1.2.3.4/33', '1.2.3.4/', '1.2.3.4/+8', '1.2.3.4/8/8', '1.2.3.4/ 8',
	'1.2.3.4/-0', '1.2.3.4/8:', '1.2.3.4/8 ', '1.2.3.4/1.2', '/8',
	'10.1.2.3/8', '1.2.3.4/032', '1.2.3.4/100',
	// IPv6
	'::', '::1', '1::', '1:2:3:4:5:6:7:8', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
	'FFFF::', 'fFfF::aBcD', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7',
	'1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1::2::3', ':::', '1:::2',
	'1:2:3:4:5:6:7', ':1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:', '1:2:3:4:5:6:7:8:9',
	'00001::', '0001::', '::00001', '1:2', ':', '::g', 'g::',
	'0000:0000:0000:0000:0000:0000:0000:0001',
	'2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:0db8:0000:0000:0000:0000:0000:0001',
	'fe80::1%eth0', '[::1]', ' ::1', '::1 ',
	// embedded IPv4
	'::1.2.3.4', '::ffff:1.2.3.4', '::ffff:127.0.0.1', '1::1.2', '::ffff:1.2.3',
	'1:2:3:4:5:6:1.2.3.4', '::ffff:ff00:1', '::ffff:7f00:1', '::ffff:102:304',
	// IPv6 prefixes
	'::/0', '::/128', '::/129', '::/0128', '::/012', '::/00', '::1/127',
	'::1/128', '2001:db8::/32', 'ff00::/8', 'ff00::/7', 'ff02::1/16',
	'0000:0000:0000:0000:0000:0000:0000:0001/128',
	'0000:0000:0000:0000:0000:0000:0000:0001/12',
	'::/1000', '::1/1.2', '1:2:3:4:5:6:7:8/64',
	// loopback and multicast corners
	'127.0.0.1', '127.0.0.0/8', '127.0.0.0/7', '127.255.255.255', '127.1.2.3/9',
	'126.255.255.255', '128.0.0.0', '224.0.0.0/4', '224.0.0.0/3', '225.1.2.3/3',
	'239.255.255.255', '240.0.0.1', '223.255.255.255', 'ff02::1', 'fe80::1', 'ff00::',
];

/* Full form of what the string should mean, for an equality check. */
function expandIp(s) {
	const [a, p] = s.split('/');
	if (a.includes('.'))
		return {v6: false, prefix: p === undefined ? 32 : Number(p),
			bytes: a.split('.').map(Number)};
	let groups;
	if (a.includes('::')) {
		const [h, t] = a.split('::');
		const hs = h ? h.split(':') : [];
		const ts = t ? t.split(':') : [];
		groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
	} else {
		groups = a.split(':');
	}
	const bytes = [];
	for (const g of groups) {
		const v = parseInt(g, 16);
		bytes.push(v >> 8, v & 255);
	}
	return {v6: true, prefix: p === undefined ? 128 : Number(p), bytes};
}

function fullText(e) {
	if (!e.v6)
		return `${e.bytes.join('.')}/${e.prefix}`;
	const g = [];
	for (let k = 0; k < 16; k += 2)
		g.push(((e.bytes[k] << 8) | e.bytes[k + 1]).toString(16));
	return `${g.join(':')}/${e.prefix}`;
}

const ipRows = [];
for (const s of ipInputs) {
	const r = evaluate('ip(context.s).isIpv4() || true', {s});
	if (typeof r !== 'boolean') {
		ipRows.push({s, ok: false});
		check(`ip ${JSON.stringify(s)}`, true, 'invalid');
		continue;
	}
	const m = (name) => evaluate(`ip(context.s).${name}()`, {s});
	const row = {s, ok: true, v4: m('isIpv4'), v6: m('isIpv6'),
		loopback: m('isLoopback'), multicast: m('isMulticast')};
	const e = expandIp(s);
	const eq = evaluate('ip(context.s) == ip(context.t)', {s, t: fullText(e)});
	Object.assign(row, {prefix: e.prefix, bytes: e.bytes});
	ipRows.push(row);
	check(`ip ${JSON.stringify(s)}`, eq === true && row.v4 === !row.v6 && row.v6 === e.v6,
		`= ${fullText(e)} v4=${row.v4} loopback=${row.loopback} multicast=${row.multicast}`);
}

const ipPairs = [
	['10.1.2.3', '10.0.0.0/8'], ['10.0.0.0/8', '10.1.2.3'], ['10.0.0.0/8', '10.0.0.0/8'],
	['10.1.2.3/8', '10.0.0.0/8'], ['10.0.0.0/8', '10.1.2.3/8'], ['10.0.0.0/7', '10.0.0.0/8'],
	['11.0.0.0', '10.0.0.0/7'], ['12.0.0.0', '10.0.0.0/7'], ['1.2.3.4/0', '0.0.0.0/0'],
	['0.0.0.0/0', '1.2.3.4/0'], ['1.2.3.4', '1.2.3.4'], ['1.2.3.4', '1.2.3.5'],
	['255.255.255.255', '255.255.255.254/31'], ['1.2.3.4', '::/0'], ['::1', '0.0.0.0/0'],
	['::ffff:102:304', '1.2.3.4/32'], ['1.2.3.4', '::ffff:102:304/96'],
	['2001:db8::1', '2001:db8::/32'], ['2001:db9::1', '2001:db8::/32'],
	['::1', '::/127'], ['::/0', '::/1'], ['::/1', '::/0'], ['8000::', '::/1'],
	['2001:db8::/48', '2001:db8::/32'], ['2001:db8::/31', '2001:db8::/32'],
	['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff::/16'],
	['1.2.3.4', '1.2.3.4/32'], ['::1', '0:0:0:0:0:0:0:1'], ['::1', '::1/128'],
	['1.2.3.4', '::ffff:102:304'], ['10.1.2.3/8', '10.0.0.0/8'], ['::/0', '0.0.0.0/0'],
];
const ipPairRows = [];
for (const [a, b] of ipPairs) {
	const inRange = evaluate('ip(context.s).isInRange(ip(context.t))', {s: a, t: b});
	const equal = evaluate('ip(context.s) == ip(context.t)', {s: a, t: b});
	ipPairRows.push({a, b, inRange, equal});
	check(`ip ${a} in ${b}`, typeof inRange === 'boolean' && typeof equal === 'boolean',
		`inRange=${inRange} equal=${equal}`);
}

/* ---------------- decimal ---------------- */

const decimalInputs = [
	'0.0', '-0.0', '1.0', '-1.0', '1.5', '-1.5', '1.05', '1.0500', '0.0001',
	'-0.0001', '-0.5', '-00.5', '-0.9999', '-1.0001', '00.0001', '0001.5',
	'123.456', '-123.456', '1.2345', '1.23456', '1.00000',
	'922337203685477.5807', '922337203685477.5808', '-922337203685477.5808',
	'-922337203685477.5809', '922337203685478.0', '-922337203685478.0',
	'9223372036854775807.0', '-9223372036854775808.0', '99999999999999999999.0',
	'000000000000000000000000001.0',
	'1.', '.5', '-.5', '1', '-1', '+1.0', '1.0 ', ' 1.0', '1..0', '1.0.0',
	'1,0', '1e3.0', '0x1.0', '', '-', '.', '-1.', '--1.0', '- 1.0',
	'\u0661.\u0660', '1.\u0660', '1.0\n', '1.0\0', '1\0.0',
];

function decText(k) {
	const neg = k < 0n;
	const m = neg ? -k : k;
	return `${neg ? '-' : ''}${m / 10000n}.${(m % 10000n).toString().padStart(4, '0')}`;
}

const decimalRows = [];
for (const s of decimalInputs) {
	const r = evaluate('decimal(context.s) == decimal(context.s)', {s});
	if (typeof r !== 'boolean') {
		decimalRows.push({s, ok: false});
		check(`decimal ${JSON.stringify(s)}`, true, 'invalid');
		continue;
	}
	/* Strings for values in (-1, 0) do not parse to them (see -0.5), so
	 * search the non-negative and the <= -1 ranges separately. */
	const le = (k) => evaluate('decimal(context.t).lessThanOrEqual(decimal(context.s))',
		{s, t: decText(k)});
	const v = le(0n) ? searchMax(0n, I64_MAX, le)
		: searchMax(I64_MIN, -10000n, le);
	const eq = evaluate('decimal(context.s) == decimal(context.t)', {s, t: decText(v)});
	decimalRows.push({s, ok: true, v});
	check(`decimal ${JSON.stringify(s)}`, eq === true, `= ${v}`);
}

/* ---------------- datetime ---------------- */

const datetimeInputs = [
	'1970-01-01', '2024-10-15', '2024-10-15T11:38:02Z', '2024-10-15T11:38:02.101Z',
	'2024-10-15T11:38:02.000Z', '2024-10-15T11:38:02.101+1134',
	'2024-10-15T11:38:02.101-1134', '2024-10-15T11:38:02+1134',
	'2024-10-15T23:59:00+2359', '2024-10-15T00:00:00-2359', '2024-10-15T11:38:02-0000',
	'2024-10-15T11:38:02+0000', '1969-12-31T23:59:59.999Z', '1969-12-31',
	'0000-01-01', '0000-01-01T00:00:00+2359', '0000-02-29', '0000-03-01',
	'9999-12-31', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999-2359',
	'2024-02-29', '2023-02-29', '1900-02-29', '2000-02-29', '2100-02-29',
	'2024-04-30', '2024-04-31', '2024-06-31', '2024-13-01', '2024-00-10',
	'2024-01-00', '2024-01-32', '2024-12-31T23:59:59Z',
	'2024-10-15T24:00:00Z', '2024-10-15T23:60:00Z', '2024-10-15T23:59:60Z',
	'2016-12-31T23:59:60Z', '2024-10-15T99:00:00Z',
	'2024-10-15T11:38:02+2400', '2024-10-15T11:38:02+2360', '2024-10-15T11:38:02-2400',
	'2024-10-15T11:38:02+0060', '2024-10-15T11:38:02+2359', '2024-10-15T11:38:02-2359',
	'2024-10-15T11:38:02+24:00', '2024-10-15T11:38:02+123', '2024-10-15T11:38:02+12345',
	'2024-10-15T11:38:02+12', '2024-10-15T11:38:02ZZ', '2024-10-15T11:38:02Z ',
	'2024-10-15T11:38:02Z\n', '2024-10-15T11:38:02z', '2024-10-15t11:38:02Z',
	'2024-10-15T11:38:02.1Z', '2024-10-15T11:38:02.12Z', '2024-10-15T11:38:02.1234Z',
	'2024-10-15T11:38:02.Z', '2024-10-15T11:38:02.123', '2024-10-15T11:38:02',
	'2024-10-15T11:38:02.123+0100', '2024-10-15T11:38:02,123Z',
	'2024-10-15Z', '2024-10-15T', '2024-10-15T11:38Z', '2024-10-15T1:38:02Z',
	'2024-10-15 11:38:02Z', '2024-10-15 ', ' 2024-10-15', '+2024-10-15',
	'-2024-10-15', '2024-1-15', '2024-10-5', '10000-01-01', '99999-01-01', '',
	'2024/10/15', '2024-10-15T11:38:02+01:00', '2024-10-15T11:38:02UTC',
	'2024-10-15T11:38:02.123456Z', '\u0662024-10-15', '2024-10-15\0',
	'2024-10-15T11:38:02Z\0',
];

const EPOCH = 'datetime("1970-01-01")';
const datetimeRows = [];
for (const s of datetimeInputs) {
	const r = evaluate('datetime(context.s) == datetime(context.s)', {s});
	if (typeof r !== 'boolean') {
		datetimeRows.push({s, ok: false});
		check(`datetime ${JSON.stringify(s)}`, true, 'invalid');
		continue;
	}
	const v = readLong(`datetime(context.s).durationSince(${EPOCH}).toMilliseconds()`, {s});
	const jsv = BigInt(Date.parse(s.length === 10 ? s + 'T00:00:00Z'
		: s.replace(/([+-])(\d\d)(\d\d)$/, '$1$2:$3')));
	datetimeRows.push({s, ok: true, v});
	/* JS Date agrees for the years it reads the same way */
	check(`datetime ${JSON.stringify(s)}`, s.startsWith('0000') || v === jsv, `= ${v}`);
}

/* ---------------- duration ---------------- */

const durationInputs = [
	'1d2h3m4s5ms', '1ms', '1s', '1m', '1h', '1d', '0ms', '0d', '-0ms', '-0d',
	'-1d2h', '1h30m', '1m1ms', '1s1ms', '1d1ms', '1d1h1m1s1ms', '-1d1h1m1s1ms',
	'90m', '25h', '1000ms', '0000000000000000000000001d', '1d0ms',
	'9223372036854775807ms', '9223372036854775808ms', '-9223372036854775808ms',
	'-9223372036854775809ms', '18446744073709551615ms', '18446744073709551616ms',
	'99999999999999999999999ms', '106751991167d', '106751991168d', '-106751991167d',
	'-106751991168d', '106751991167d7h', '106751991167d8h',
	'9223372036854775s807ms', '9223372036854775s808ms', '-9223372036854775s808ms',
	'-9223372036854775s809ms', '153722867280912m55s807ms', '2562047788015215h',
	'2562047788015216h',
	'', '-', '--1d', '+1d', '1', 'd', 'ms', '-ms', '1.5h', '1y', '1us', '1ns',
	'1msms', '1mms', '1s1m', '1h1d', '1ms1s', '1d1d', '1m1m', '1ms1ms', '1ms1',
	'1h-1m', '1D', '1H', '1M', '1S', '1MS', '1m s', '1h 1m', ' 1d', '1d ',
	'1d\n', '-1d-1h', '1d-', '1dh', '\u0661d', '1d\0', '1\0d',
];

const durationRows = [];
for (const s of durationInputs) {
	const r = evaluate('duration(context.s) == duration(context.s)', {s});
	if (typeof r !== 'boolean') {
		durationRows.push({s, ok: false});
		check(`duration ${JSON.stringify(s)}`, true, 'invalid');
		continue;
	}
	const v = readLong('duration(context.s).toMilliseconds()', {s});
	durationRows.push({s, ok: true, v});
	check(`duration ${JSON.stringify(s)}`, true, `= ${v}`);
}

/* toSeconds/toMinutes/toHours/toDays, read back from the reference */
const durationToInputs = [
	'0ms', '999ms', '1000ms', '-1ms', '-999ms', '-1000ms', '-1999ms', '59s', '-59s',
	'-61s', '59m59s999ms', '-59m59s999ms', '-1h1ms', '23h59m', '-23h59m', '-1d1ms',
	'1d', '-1d', '9223372036854775807ms', '-9223372036854775808ms',
];
const unitMethods = ['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays'];
const durationToRows = [];
for (const s of durationToInputs) {
	const ms = readLong('duration(context.s).toMilliseconds()', {s});
	const vals = unitMethods.map((m) => readLong(`duration(context.s).${m}()`, {s}));
	durationToRows.push({ms, vals});
	check(`duration ${s} to units`, vals[0] === ms, vals.join(' '));
}

/* offset, durationSince, toDate, toTime on datetimes built with offset so
 * that the extremes of int64 can be reached */
const DT = (ms) => `${EPOCH}.offset(duration("${ms}ms"))`;
const opInputs = [
	0n, 1n, -1n, 86399999n, 86400000n, -86399999n, -86400000n, -86400001n,
	1728992282101n, -62167219200000n, 253402300799999n, I64_MAX, I64_MIN,
	I64_MIN + 86400000n, I64_MIN + 86399999n, I64_MIN + 1n, I64_MAX - 1n,
	-9223372036800000000n, -9223372036800000001n, -9223372036854400000n,
	-9223372036828800000n, -9223372036828800001n,
];
/* a failing expression gives {err}; a datetime is read back as its offset
 * from the epoch when that fits, or recognised by equality otherwise */
function readDatetime(expr, expect) {
	const ok = evaluate(`${expr} == ${expr}`);
	if (ok !== true)
		return null;
	if (expect !== null && evaluate(`${expr} == ${DT(expect)}`) === true)
		return expect;
	return 'unknown';
}
const toDateRows = [];
for (const dt of opInputs) {
	const day = 86400000n;
	let r = dt % day;
	if (r < 0n)
		r += day;
	const jsDate = dt - r >= I64_MIN ? dt - r : null;
	const date = readDatetime(`${DT(dt)}.toDate()`, jsDate);
	const time = readLong(`${DT(dt)}.toTime().toMilliseconds()`);
	toDateRows.push({dt, date, time});
	check(`toDate/toTime ${dt}`, date !== 'unknown' && date === jsDate && time === r,
		`date=${date === null ? 'overflow' : date} time=${time}`);
}
const opPairs = [
	[0n, 0n], [1728992282101n, -1728992282101n], [I64_MAX, 0n], [I64_MAX, 1n],
	[I64_MIN, -1n], [I64_MIN, 0n], [-1n, I64_MIN], [0n, I64_MIN], [1n, I64_MAX],
	[-1n, I64_MAX], [I64_MAX, I64_MIN], [253402300799999n, 9223118634553975808n],
	[253402300799999n, 9223118634553975809n],
];
const offsetRows = [];
for (const [a, b] of opPairs) {
	const sum = a + b;
	const want = sum >= I64_MIN && sum <= I64_MAX ? sum : null;
	const off = readDatetime(`${DT(a)}.offset(duration("${b}ms"))`, want);
	const diff = a - b;
	const wantDiff = diff >= I64_MIN && diff <= I64_MAX ? diff : null;
	const sinceExpr = `${DT(a)}.durationSince(${DT(b)})`;
	const since = evaluate(`${sinceExpr} == ${sinceExpr}`) === true
		? readLong(`${sinceExpr}.toMilliseconds()`) : null;
	offsetRows.push({a, b, off, since});
	check(`offset/since ${a} ${b}`, off === want && since === wantDiff,
		`offset=${off === null ? 'overflow' : off} since=${since === null ? 'overflow' : since}`);
}

/* ---------------- output ---------------- */

if (emitC) {
	const b = (x) => (x ? 'true' : 'false');
	out('/* generated by tests/cedar/probe_ext.js --c from cedar-wasm 4.5.0 */');
	out('static const struct ip_case ip_cases[] = {');
	for (const r of ipRows) {
		if (!r.ok) {
			out(`\t{${cstr(r.s)}, false, false, 0, {0}, false, false},`);
			continue;
		}
		const bytes = r.bytes.map((x) => '0x' + x.toString(16).padStart(2, '0')).join(', ');
		out(`\t{${cstr(r.s)}, true, ${b(r.v6)}, ${r.prefix}, {${bytes}}, ${b(r.loopback)}, ${b(r.multicast)}},`);
	}
	out('};\n');
	out('static const struct ip_pair_case ip_pair_cases[] = {');
	for (const r of ipPairRows)
		out(`\t{${cstr(r.a)}, ${cstr(r.b)}, ${b(r.inRange)}, ${b(r.equal)}},`);
	out('};\n');
	const lit64 = (v) => (v === I64_MIN ? 'INT64_MIN' : `INT64_C(${v})`);
	for (const [name, rows] of [['decimal', decimalRows], ['datetime', datetimeRows],
		['duration', durationRows]]) {
		out(`static const struct parse_case ${name}_cases[] = {`);
		for (const r of rows)
			out(r.ok ? `\t{${cstr(r.s)}, true, ${lit64(r.v)}},` : `\t{${cstr(r.s)}, false, 0},`);
		out('};\n');
	}
	out('static const struct duration_to_case duration_to_cases[] = {');
	for (const r of durationToRows)
		out(`\t{{${r.vals.map(lit64).join(', ')}}},`);
	out('};\n');
	out('static const struct to_date_case to_date_cases[] = {');
	for (const r of toDateRows)
		out(`\t{${lit64(r.dt)}, ${r.date === null ? 'false, 0' : 'true, ' + lit64(r.date)}, ${lit64(r.time)}},`);
	out('};\n');
	out('static const struct offset_case offset_cases[] = {');
	for (const r of offsetRows)
		out(`\t{${lit64(r.a)}, ${lit64(r.b)}, ${r.off === null ? 'false, 0' : 'true, ' + lit64(r.off)}, ${r.since === null ? 'false, 0' : 'true, ' + lit64(r.since)}},`);
	out('};');
}
if (emitC && !failed) {
	const text = cLines.join('\n') + '\n';
	if (writeC === null) {
		process.stdout.write(text);
	} else {
		const begin = '/* GENERATED BEGIN */\n';
		const end = '/* GENERATED END */';
		const src = fs.readFileSync(writeC, 'utf8');
		const a = src.indexOf(begin);
		const b = src.indexOf(end);
		if (a < 0 || b < a)
			throw new Error(`${writeC}: no GENERATED markers`);
		fs.writeFileSync(writeC, src.slice(0, a + begin.length) + text.replace(/^.*\n/, '') + src.slice(b));
	}
}
if (!emitC || failed)
	console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
