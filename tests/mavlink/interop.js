// The other side of the interop tests: node-mavlink (pinned in
// package.json), an implementation we did not write. Driven by interop.py.
//   node interop.js check FRAMES EXPECTED.jsonl   decode our frames, compare
//   node interop.js encode SEED VERSION            their frames on stdout,
//                                                  their values on stderr
//   node interop.js fly tcp HOST PORT | udp HOST PORT | serial FD
//                                                  a GCS flying mavsim
// Field names in the JSON are the spec's (common.xml).
'use strict';
const fs = require('fs');
const net = require('net');
const dgram = require('dgram');
const tty = require('tty');
const { PassThrough } = require('stream');
const {
  MavLinkPacketSplitter, MavLinkPacketParser, MavLinkProtocolV1,
  MavLinkProtocolV2, minimal, common,
} = require('node-mavlink');

const CLASSES = {
  0: minimal.Heartbeat,
  1: common.SysStatus,
  24: common.GpsRawInt,
  33: common.GlobalPositionInt,
  76: common.CommandLong,
  77: common.CommandAck,
  86: common.SetPositionTargetGlobalInt,
  253: common.StatusText,
};

function fail(msg) {
  console.error('interop: FAIL: ' + msg);
  process.exit(1);
}

// A node-mavlink message as {spec_name: value}; uint64 as a string.
function toSpec(clazz, data) {
  const out = {};
  for (const f of clazz.FIELDS) {
    let v = data[f.name];
    if (typeof v === 'bigint') v = v.toString();
    out[f.source] = v;
  }
  return out;
}

function sameValue(type, a, b) {
  if (type === 'float') return Math.fround(Number(a)) === Math.fround(Number(b));
  return String(a) === String(b);
}

function compareFields(clazz, got, want, where) {
  for (const f of clazz.FIELDS) {
    if (!(f.source in want)) fail(`${where}: ${f.source} missing from expected`);
    if (!sameValue(f.type, got[f.source], want[f.source]))
      fail(`${where}: ${clazz.MSG_NAME}.${f.source}: got ${got[f.source]}, want ${want[f.source]}`);
  }
}

function parserFor(input) {
  const splitter = new MavLinkPacketSplitter();
  const packets = input.pipe(splitter).pipe(new MavLinkPacketParser());
  return { splitter, packets };
}

// Our frames (mavcodec sample) must decode here to the values we encoded.
function check(framesPath, expectedPath) {
  const expected = fs.readFileSync(expectedPath, 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l));
  const input = new PassThrough();
  const { splitter, packets } = parserFor(input);
  let i = 0;
  packets.on('data', (packet) => {
    const want = expected[i];
    if (!want) fail(`more frames than expected (${i + 1})`);
    if (packet.header.msgid !== want.id) fail(`frame ${i}: id ${packet.header.msgid}, want ${want.id}`);
    const clazz = CLASSES[packet.header.msgid];
    const data = packet.protocol.data(packet.payload, clazz);
    compareFields(clazz, toSpec(clazz, data), want.fields, `frame ${i}`);
    i++;
  });
  packets.on('end', () => {
    if (i !== expected.length) fail(`decoded ${i} frames, want ${expected.length}`);
    if (splitter.invalidPackages !== 0) fail(`${splitter.invalidPackages} invalid packets`);
    console.log(`check: ${i} frames decoded by node-mavlink, all fields equal`);
  });
  input.end(fs.readFileSync(framesPath));
}

// Deterministic pseudo-random values (xorshift32) per field type.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

function randomValue(f, next) {
  const r = next();
  const zero = r % 5 === 0; // zeros, so truncation happens
  switch (f.type) {
    case 'uint8_t': case 'uint8_t_mavlink_version': return zero ? 0 : r & 0xff;
    case 'int8_t': return zero ? 0 : (r & 0xff) - 128;
    case 'uint16_t': return zero ? 0 : r & 0xffff;
    case 'int16_t': return zero ? 0 : (r & 0xffff) - 32768;
    case 'uint32_t': return zero ? 0 : r;
    case 'int32_t': return zero ? 0 : r | 0;
    case 'uint64_t': return zero ? 0n : (BigInt(r) << 20n) + BigInt(next() & 0xfffff);
    case 'float': return zero ? 0 : Math.fround(((r | 0) / 1024));
    case 'char[]': {
      const n = r % (f.length + 1);
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + (next() % 94));
      return s;
    }
    default: fail(`no generator for ${f.type}`);
  }
}

// Their frames on stdout, their values on stderr, for mavcodec decode.
function encode(seed, version) {
  const next = rng(seed);
  const proto = version === 1 ? new MavLinkProtocolV1(77, 88) : new MavLinkProtocolV2(77, 88);
  const frames = [];
  const lines = [];
  let seq = 0;
  for (let k = 0; k < 50; k++) {
    for (const id of Object.keys(CLASSES)) {
      const clazz = CLASSES[id];
      const msg = new clazz();
      for (const f of clazz.FIELDS) {
        msg[f.name] = (version === 1 && f.extension) ? (f.type === 'uint64_t' ? 0n : f.type === 'char[]' ? '' : 0) : randomValue(f, next);
      }
      frames.push(proto.serialize(msg, seq));
      lines.push(JSON.stringify({ id: Number(id), seq, fields: toSpec(clazz, msg) }));
      seq = (seq + 1) & 0xff;
    }
  }
  fs.writeSync(2, lines.join('\n') + '\n');
  fs.writeSync(1, Buffer.concat(frames));
}

// ---- a GCS flying mavsim over a link ----

function openLink(kind, args) {
  const input = new PassThrough();
  let write;
  if (kind === 'tcp') {
    const sock = net.connect({ host: args[0], port: Number(args[1]) });
    sock.on('data', (d) => input.write(d));
    sock.on('error', (e) => fail(`tcp: ${e.message}`));
    write = (buf) => sock.write(buf);
    return { input, write, close: () => sock.destroy() };
  }
  if (kind === 'udp') {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (d) => input.write(d));
    write = (buf) => sock.send(buf, Number(args[1]), args[0]);
    return { input, write, close: () => sock.close() };
  }
  if (kind === 'serial') {
    const fd = Number(args[0]);
    const rs = new tty.ReadStream(fd);
    rs.on('data', (d) => input.write(d));
    rs.on('error', () => {});
    write = (buf) => fs.writeSync(fd, buf);
    return { input, write, close: () => rs.destroy() };
  }
  fail(`unknown link ${kind}`);
}

async function fly(kind, args) {
  const link = openLink(kind, args);
  const { splitter, packets } = parserFor(link.input);
  const proto = new MavLinkProtocolV2(255, 190);
  let seq = 0;
  const seen = {};
  let waiters = [];
  const state = { armed: false, mode: -1, fix: 0, lat: 0, lon: 0, relAlt: 0, acks: [], texts: [] };

  packets.on('data', (packet) => {
    const clazz = CLASSES[packet.header.msgid];
    if (!clazz) return;
    const d = packet.protocol.data(packet.payload, clazz);
    seen[clazz.MSG_NAME] = (seen[clazz.MSG_NAME] || 0) + 1;
    if (packet.header.msgid === 0) {
      state.armed = (d.baseMode & 128) !== 0;
      state.mode = d.customMode;
    } else if (packet.header.msgid === 24) state.fix = d.fixType;
    else if (packet.header.msgid === 33) {
      state.lat = d.lat; state.lon = d.lon; state.relAlt = d.relativeAlt;
    } else if (packet.header.msgid === 77) state.acks.push(d);
    else if (packet.header.msgid === 253) state.texts.push(d.text);
    const still = [];
    for (const w of waiters) if (w.pred()) w.resolve(); else still.push(w);
    waiters = still;
  });

  const until = (what, pred, ms = 15000) => new Promise((resolve) => {
    if (pred()) return resolve();
    const t = setTimeout(() => fail(`${kind}: timed out waiting for ${what}`), ms);
    waiters.push({ pred, resolve: () => { clearTimeout(t); resolve(); } });
  });
  const send = (msg) => { link.write(proto.serialize(msg, seq)); seq = (seq + 1) & 0xff; };
  const command = async (cmd, params) => {
    const m = new common.CommandLong();
    m.targetSystem = 1; m.targetComponent = 1; m.command = cmd; m.confirmation = 0;
    for (let i = 0; i < 7; i++) m[`_param${i + 1}`] = params[i] || 0;
    const n = state.acks.length;
    send(m);
    await until(`ack of ${cmd}`, () => state.acks.slice(n).some((a) => a.command === cmd));
    return state.acks.slice(n).find((a) => a.command === cmd).result;
  };
  const expect = (what, got, want) => { if (got !== want) fail(`${kind}: ${what}: got ${got}, want ${want}`); };

  // UDP: the simulator talks to whoever spoke last; say hello first.
  const hb = new minimal.Heartbeat();
  hb.type = 6; hb.autopilot = 8; hb.baseMode = 0; hb.customMode = 0; hb.systemStatus = 4; hb.mavlinkVersion = 3;
  send(hb);
  await until('a HEARTBEAT', () => seen.HEARTBEAT > 0);
  expect('arm without fix', await command(400, [1]), 1); // TEMPORARILY_REJECTED
  await until('PreArm text', () => state.texts.some((t) => t.startsWith('PreArm')));
  await until('a 3D fix', () => state.fix === 3);
  expect('takeoff disarmed', await command(22, [0, 0, 0, 0, 0, 0, 10]), 2); // DENIED
  expect('mode GUIDED', await command(176, [1, 4]), 0);
  await until('GUIDED in HEARTBEAT', () => state.mode === 4);
  expect('arm', await command(400, [1]), 0);
  await until('armed in HEARTBEAT', () => state.armed);
  expect('takeoff', await command(22, [0, 0, 0, 0, 0, 0, 10]), 0);
  await until('10 m', () => state.relAlt >= 9990);
  const home = { lat: state.lat, lon: state.lon };
  const target = new common.SetPositionTargetGlobalInt();
  Object.assign(target, {
    timeBootMs: 0, targetSystem: 1, targetComponent: 1, coordinateFrame: 6,
    typeMask: 0x0ff8, latInt: home.lat + 4500, lonInt: home.lon, alt: 12,
    vx: 0, vy: 0, vz: 0, afx: 0, afy: 0, afz: 0, yaw: 0, yawRate: 0,
  });
  send(target);
  await until('the goto target', () => state.lat === home.lat + 4500 && state.relAlt === 12000);
  expect('land', await command(21, []), 0);
  await until('landed and disarmed', () => !state.armed && state.relAlt === 0);
  expect('unsupported command', await command(511, []), 3);
  for (const name of ['HEARTBEAT', 'SYS_STATUS', 'GPS_RAW_INT', 'GLOBAL_POSITION_INT', 'COMMAND_ACK', 'STATUSTEXT'])
    if (!seen[name]) fail(`${kind}: no ${name} seen`);
  if (splitter.invalidPackages !== 0) fail(`${kind}: ${splitter.invalidPackages} invalid packets`);
  console.log(`fly ${kind}: ok (${Object.entries(seen).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  link.close();
  process.exit(0);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'check') check(args[0], args[1]);
else if (cmd === 'encode') encode(Number(args[0]), Number(args[1]));
else if (cmd === 'fly') fly(args[0], args.slice(1)).catch((e) => fail(e.stack));
else fail('usage: interop.js check|encode|fly ...');
