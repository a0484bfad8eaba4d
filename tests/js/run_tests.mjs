// Black-box tests of the jindou server driven by the official WuKongIM JavaScript SDK
// (npm wukongimjssdk 1.0.4, wkproto version 2 over WebSocket).
//
//   cd tests/js && npm ci && JINDOU_BINARY=/path/to/jindou node run_tests.mjs [name-filter]
//
// Starts the server itself (free loopback ports, fresh temporary data directory), runs the
// scenarios one after another, stops the server, prints "N passed, N failed" and exits 1 when
// anything failed. Every simulated user is a separate Node process with its own SDK instance
// (see sdk_loader.mjs). Waits always have deadlines; no assertion depends on how fast the
// server is.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { JindouServer } from './jindou_server.mjs';
import { ConnectStatus, startSdkUser, statusName } from './sdk_loader.mjs';

const PERSON = 1;
const GROUP = 2;
const TEXT = 1; // content type of text messages
const RUN = crypto.randomBytes(3).toString('hex'); // keeps uids and group ids unique per run
const WAIT_MS = Number(process.env.JS_TEST_WAIT_MS || 10000); // deadline of one wait
// The SDK reconnects 3 s after a close (when it still wants to); watching a little longer than
// that shows it gave up.
const RECONNECT_WATCH_MS = 4500;

process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection in the test runner:', reason);
  process.exitCode = 1;
});

// ---- helpers ---------------------------------------------------------------------------------

const uid = (name) => `${name}_${RUN}`;

// What SDK 1.0.4 puts on the wire for a text message (and what the server must store and
// deliver unchanged): {"content":"…","type":1} as UTF-8.
const textPayload = (text) => Buffer.from(JSON.stringify({ content: text, type: TEXT }), 'utf8');

const b64 = (buf) => Buffer.from(buf).toString('base64');
const hex = (buf) => Buffer.from(buf).toString('hex');

function assertBytes(actualBase64, expected, what) {
  assert.ok(actualBase64 !== undefined, `${what}: the plaintext bytes of the RECV were not captured`);
  const actual = Buffer.from(actualBase64, 'base64');
  assert.ok(actual.equals(expected),
    `${what}: payload bytes differ\n  expected ${hex(expected)}\n  actual   ${hex(actual)}\n` +
    `  expected text ${JSON.stringify(expected.toString('utf8'))}\n  actual text   ${JSON.stringify(actual.toString('utf8'))}`);
}

// Checks a message the SDK handed to the app's listener.
function assertReceived(m, { fromUID, channelID, channelType, text, payload, messageID, messageSeq }, what) {
  assert.equal(m.local, false, `${what}: must come from the server`);
  assert.equal(m.fromUID, fromUID, `${what}: fromUID`);
  assert.equal(m.channelID, channelID, `${what}: channel.channelID as the SDK sees it`);
  assert.equal(m.channelType, channelType, `${what}: channel.channelType`);
  assert.equal(m.contentType, TEXT, `${what}: contentType`);
  assert.equal(m.text, text, `${what}: text`);
  if (payload) assertBytes(m.payloadBase64, payload, what);
  assert.match(m.messageID, /^[1-9][0-9]*$/, `${what}: messageID must be a positive integer`);
  if (messageID !== undefined) assert.equal(m.messageID, String(messageID), `${what}: messageID`);
  assert.ok(Number.isInteger(m.messageSeq) && m.messageSeq > 0, `${what}: messageSeq must be > 0, got ${m.messageSeq}`);
  if (messageSeq !== undefined) assert.equal(m.messageSeq, messageSeq, `${what}: messageSeq`);
  assert.ok(Number.isInteger(m.timestamp) && m.timestamp > 0, `${what}: timestamp must be > 0`);
}

function exactlyOnce(user, clientMsgNo, what) {
  const got = user.received((m) => m.clientMsgNo === clientMsgNo);
  assert.equal(got.length, 1, `${what}: ${user.name} must receive it exactly once, got ${got.length}`);
  return got[0];
}

function never(user, clientMsgNo, what) {
  const got = user.received((m) => m.clientMsgNo === clientMsgNo);
  assert.equal(got.length, 0, `${what}: ${user.name} must not receive it from the server, got ` +
    JSON.stringify(got));
}

// Sends a text with the SDK and waits for its SENDACK; requires reason 1.
async function sendOk(user, channelID, channelType, text) {
  const sent = await user.sendText(channelID, channelType, text);
  assert.ok(Number.isInteger(sent.clientSeq) && sent.clientSeq > 0, 'the SDK assigns a clientSeq');
  const ack = await user.waitForSendack(sent.clientSeq, WAIT_MS);
  assert.equal(ack.reasonCode, 1, `${user.name}: SENDACK reason for ${JSON.stringify(text)} must be 1 (success)`);
  assert.match(ack.messageID, /^[1-9][0-9]*$/, `${user.name}: SENDACK messageID must be a positive integer`);
  assert.ok(ack.messageSeq > 0, `${user.name}: SENDACK messageSeq must be > 0, got ${ack.messageSeq}`);
  return { ...sent, ack, text, payload: textPayload(text) };
}

const byClientMsgNo = (no) => (m) => m.clientMsgNo === no;

// ---- harness ---------------------------------------------------------------------------------

const scenarios = [];
function scenario(name, fn, { timeoutMs = 90000 } = {}) {
  scenarios.push({ name, fn, timeoutMs });
}

class Context {
  constructor(server) {
    this.server = server; // the shared server (token auth off)
    this.users = [];
    this.servers = []; // extra servers started by this scenario
  }

  // A fresh SDK instance in its own process, configured for `server` (default: the shared one),
  // over ws:// — or wss:// with `wss: true`, trusting only that server's certificate.
  async user(name, { token = `token-${name}`, server = this.server, uidValue = uid(name), wss = false } = {}) {
    const addr = wss ? server.wssAddr : server.wsAddr;
    const tlsCa = wss ? server.tls.certPem : undefined;
    const u = await startSdkUser({ name, addr, uid: uidValue, token, tlsCa });
    this.users.push(u);
    return u;
  }

  async startServer(name, options, { wss = false } = {}) {
    const s = new JindouServer({ name, options, wss });
    this.servers.push(s);
    await s.start();
    return s;
  }

  async cleanup(failed) {
    await Promise.all(this.users.map((u) => u.stop().catch(() => {})));
    for (const s of this.servers) {
      const exit = await s.stop();
      if (failed || process.env.JINDOU_KEEP_TEST_DIRS) console.log(`    ${s.name} kept in ${s.rootDir}`);
      else s.removeDir();
      if (exit && exit.alreadyExited) console.log(`    note: ${s.name} had already exited: ${JSON.stringify(exit)}`);
    }
  }
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function report(ctx, err) {
  console.log(indent(err && err.stack ? err.stack : String(err), '    '));
  for (const u of ctx.users) {
    console.log(u.describe());
    const frames = (await u.trace()).slice(-12);
    if (frames.length) {
      console.log(`  ${u.name}: last ${frames.length} WebSocket messages:`);
      for (const f of frames) {
        console.log(`    ${f.at} ${f.dir} ${f.length} B [${f.packets.join(',')}] ${f.hex.slice(0, 240)}`);
      }
    }
  }
  for (const s of [ctx.server, ...ctx.servers]) {
    console.log(`  ${s.name} (${s.commandLine()}) log tail:\n${indent(s.logTail(40), '    ')}`);
  }
}

function indent(text, prefix) {
  return String(text).split('\n').map((l) => prefix + l).join('\n');
}

// Anything a user's SDK process flagged is a failure of the scenario it ran in.
function assertNoProblems(ctx) {
  const lines = [];
  for (const u of ctx.users) {
    for (const p of u.problems()) lines.push(`${u.name}: ${p.event} ${JSON.stringify(p.data)}`);
  }
  assert.equal(lines.length, 0, `the SDK processes reported problems:\n${lines.join('\n')}`);
}

// ---- scenarios -------------------------------------------------------------------------------

scenario('a. person messages both ways', async (ctx) => {
  const alice = await ctx.user('alice_a');
  const bob = await ctx.user('bob_a');
  await Promise.all([alice.connectOk(), bob.connectOk()]);

  const m1 = await sendOk(alice, bob.uid, PERSON, `hello ${bob.uid}, this is ${alice.uid}`);
  const r1 = await bob.waitForMessage(byClientMsgNo(m1.clientMsgNo), 'RECV of alice → bob', WAIT_MS);
  assertReceived(r1, { fromUID: alice.uid, channelID: alice.uid, channelType: PERSON, text: m1.text,
    payload: m1.payload, messageID: m1.ack.messageID, messageSeq: m1.ack.messageSeq }, 'bob receives alice\'s message');

  const m2 = await sendOk(bob, alice.uid, PERSON, `hi ${alice.uid}, ${bob.uid} here`);
  const r2 = await alice.waitForMessage(byClientMsgNo(m2.clientMsgNo), 'RECV of bob → alice', WAIT_MS);
  assertReceived(r2, { fromUID: bob.uid, channelID: bob.uid, channelType: PERSON, text: m2.text,
    payload: m2.payload, messageID: m2.ack.messageID, messageSeq: m2.ack.messageSeq }, 'alice receives bob\'s reply');

  // Both directions share one stored channel: one sequence.
  assert.ok(m2.ack.messageSeq > m1.ack.messageSeq,
    `the reply must follow in the same conversation sequence (${m1.ack.messageSeq} then ${m2.ack.messageSeq})`);

  // A sender gets no RECV of its own message on the sending connection. RECVs of one channel
  // reach a connection in message_seq order, so once alice has bob's later reply, a RECV of
  // her own m1 would already be there; same for bob with a third message.
  never(alice, m1.clientMsgNo, 'alice\'s own message');
  const m3 = await sendOk(alice, bob.uid, PERSON, 'third');
  await bob.waitForMessage(byClientMsgNo(m3.clientMsgNo), 'RECV of the third message', WAIT_MS);
  never(bob, m2.clientMsgNo, 'bob\'s own message');
  exactlyOnce(bob, m1.clientMsgNo, 'alice → bob');
  exactlyOnce(alice, m2.clientMsgNo, 'bob → alice');
});

scenario('b. three-member group', async (ctx) => {
  const [u1, u2, u3] = await Promise.all(['g1_b', 'g2_b', 'g3_b'].map((n) => ctx.user(n)));
  const group = uid('group_b');
  await ctx.server.createGroup(group, [u1.uid, u2.uid, u3.uid]);
  await Promise.all([u1.connectOk(), u2.connectOk(), u3.connectOk()]);

  const m1 = await sendOk(u1, group, GROUP, `hello group ${group}`);
  for (const u of [u2, u3]) {
    const r = await u.waitForMessage(byClientMsgNo(m1.clientMsgNo), `RECV of ${u1.name}'s group message`, WAIT_MS);
    assertReceived(r, { fromUID: u1.uid, channelID: group, channelType: GROUP, text: m1.text, payload: m1.payload,
      messageID: m1.ack.messageID, messageSeq: m1.ack.messageSeq }, `${u.name} receives the group message`);
  }

  // Barrier: a later message of the same group reaches the original sender; its own message,
  // committed earlier, would have arrived before it.
  const m2 = await sendOk(u2, group, GROUP, 'a reply in the group');
  const r2 = await u1.waitForMessage(byClientMsgNo(m2.clientMsgNo), 'RECV of the reply', WAIT_MS);
  assertReceived(r2, { fromUID: u2.uid, channelID: group, channelType: GROUP, text: m2.text, payload: m2.payload,
    messageSeq: m2.ack.messageSeq }, `${u1.name} receives ${u2.name}'s reply`);
  await u3.waitForMessage(byClientMsgNo(m2.clientMsgNo), 'RECV of the reply', WAIT_MS);
  never(u1, m1.clientMsgNo, 'the sender of the group message');
  never(u2, m2.clientMsgNo, 'the sender of the reply');
  exactlyOnce(u2, m1.clientMsgNo, 'group message');
  exactlyOnce(u3, m1.clientMsgNo, 'group message');

  // u3 saw both, in sequence order.
  const seqs = u3.received((m) => m.channelID === group).map((m) => m.messageSeq);
  assert.deepEqual(seqs, [m1.ack.messageSeq, m2.ack.messageSeq], `${u3.name} receives the group messages in order`);
});

scenario('c. HTTP /message/send reaches connected members live', async (ctx) => {
  const alice = await ctx.user('alice_c');
  const bob = await ctx.user('bob_c');
  const carol = await ctx.user('carol_c');
  const group = uid('group_c');
  await ctx.server.createGroup(group, [alice.uid, bob.uid, carol.uid]);
  await Promise.all([alice.connectOk(), bob.connectOk(), carol.connectOk()]);

  // Person message from a uid that is not connected (the application server speaking as a user).
  const service = uid('service_c');
  const p1 = textPayload('notice from the service account');
  const sent1 = await ctx.server.sendMessage({ fromUID: service, channelID: bob.uid, channelType: PERSON, payload: p1 });
  assert.ok(sent1.message_seq > 0, `/message/send must answer a message_seq > 0: ${JSON.stringify(sent1)}`);
  const r1 = await bob.waitForMessage((m) => m.messageID === String(sent1.message_idstr), 'RECV of the HTTP person message', WAIT_MS);
  assertReceived(r1, { fromUID: service, channelID: service, channelType: PERSON, text: 'notice from the service account',
    payload: p1, messageID: sent1.message_idstr, messageSeq: sent1.message_seq }, 'bob receives the HTTP person message');
  assert.equal(r1.clientMsgNo, sent1.client_msg_no, 'client_msg_no of the HTTP message');
  assert.equal(r1.reddot, true, 'header.red_dot 1 arrives as the RedDot flag');

  // Person message sent over HTTP on behalf of a connected user: the peer sees the channel of
  // the sender, the sender's own connection (which did not send it) sees the peer's channel.
  const p2 = textPayload('sent for alice by the application server');
  const sent2 = await ctx.server.sendMessage({ fromUID: alice.uid, channelID: bob.uid, channelType: PERSON, payload: p2 });
  const r2b = await bob.waitForMessage((m) => m.messageID === String(sent2.message_idstr), 'RECV of the HTTP message for alice', WAIT_MS);
  assertReceived(r2b, { fromUID: alice.uid, channelID: alice.uid, channelType: PERSON, text: 'sent for alice by the application server',
    payload: p2, messageSeq: sent2.message_seq }, 'bob receives the message sent for alice');
  const r2a = await alice.waitForMessage((m) => m.messageID === String(sent2.message_idstr), 'copy of the HTTP message on alice\'s connection', WAIT_MS);
  assertReceived(r2a, { fromUID: alice.uid, channelID: bob.uid, channelType: PERSON, text: 'sent for alice by the application server',
    payload: p2, messageSeq: sent2.message_seq }, 'alice\'s connection receives her message sent over HTTP');
  assert.equal(r2a.reddot, false, 'no red dot on the sender\'s own copy');

  // Group message from a uid that is not a member (HTTP sends skip membership checks).
  const admin = uid('admin_c');
  const p3 = textPayload('group announcement');
  const sent3 = await ctx.server.sendMessage({ fromUID: admin, channelID: group, channelType: GROUP, payload: p3 });
  assert.ok(sent3.message_seq > 0, `/message/send must answer a message_seq > 0: ${JSON.stringify(sent3)}`);
  for (const u of [alice, bob, carol]) {
    const r = await u.waitForMessage((m) => m.messageID === String(sent3.message_idstr), 'RECV of the HTTP group message', WAIT_MS);
    assertReceived(r, { fromUID: admin, channelID: group, channelType: GROUP, text: 'group announcement', payload: p3,
      messageID: sent3.message_idstr, messageSeq: sent3.message_seq }, `${u.name} receives the HTTP group message`);
  }
});

scenario('d. token authentication (tokenAuthOn=true)', async (ctx) => {
  const server = await ctx.startServer('jindou-token-auth', ['tokenAuthOn=true']);
  const who = uid('tok_d');
  const right = `right-${RUN}`;
  await server.registerToken(who, right, { deviceFlag: 1, deviceLevel: 0 });

  const good = await ctx.user('tok_right', { server, uidValue: who, token: right });
  const s = await good.connect({ timeoutMs: WAIT_MS });
  assert.equal(s.status, ConnectStatus.Connected, `the right token must connect, got ${statusName(s.status)} reason ${s.reasonCode}`);
  assert.equal(s.reasonCode, 1, 'CONNACK reason for the right token');

  // The connected user works: a message sent over HTTP reaches it.
  const p = textPayload('welcome');
  const sent = await server.sendMessage({ fromUID: uid('svc_d'), channelID: who, channelType: PERSON, payload: p });
  await good.waitForMessage((m) => m.messageID === String(sent.message_idstr), 'RECV on the token-authenticated connection', WAIT_MS);

  // Wrong token for the same uid and device flag.
  const bad = await ctx.user('tok_wrong', { server, uidValue: who, token: `wrong-${RUN}` });
  const f = await bad.connect({ timeoutMs: WAIT_MS });
  assert.equal(f.status, ConnectStatus.ConnectFail, `a wrong token must be refused with ConnectFail (3), got ${statusName(f.status)} (${f.status})`);
  assert.equal(f.reasonCode, 2, 'the refusal carries reason code 2 (AuthFail)');

  // A uid that never registered a token is refused the same way.
  const stranger = await ctx.user('tok_none', { server, uidValue: uid('nobody_d'), token: 'anything' });
  const f2 = await stranger.connect({ timeoutMs: WAIT_MS });
  assert.equal(f2.status, ConnectStatus.ConnectFail, `an unregistered uid must be refused, got ${statusName(f2.status)}`);
  assert.equal(f2.reasonCode, 2, 'reason code for an unregistered uid');

  // The server closes the refused connections; the SDK reports Disconnect and stays offline.
  for (const u of [bad, stranger]) {
    await u.waitFor('ws', (w) => w.what === 'close', 'close of the refused WebSocket', WAIT_MS);
    await u.waitFor('status', (st) => st.status === ConnectStatus.Disconnect, 'Disconnect status after the refusal', WAIT_MS);
  }
  await sleep(RECONNECT_WATCH_MS);
  for (const u of [bad, stranger]) {
    const st = await u.state();
    assert.equal(st.wsCount, 1, `${u.name}: the SDK must not reconnect after a refusal (WebSockets opened: ${st.wsCount})`);
    assert.equal(st.needReconnect, false, `${u.name}: the SDK turned reconnecting off`);
    assert.equal(u.list('status', (x) => x.status === ConnectStatus.Connected).length, 0, `${u.name} never connected`);
  }

  // The refusals did not disturb the authenticated connection.
  const st = await good.state();
  assert.equal(st.status, ConnectStatus.Connected, 'the right-token connection is still connected');
  assert.equal(st.wsCount, 1, 'the right-token connection was not replaced');
  const conns = await server.call('GET', `/connz?uid=${encodeURIComponent(who)}`);
  assert.equal(conns.connections.length, 1, `/connz lists exactly the one authenticated connection: ${JSON.stringify(conns)}`);
  assert.equal(conns.connections[0].device_flag, 1, 'device_flag of the web connection');
}, { timeoutMs: 120000 });

scenario('e. non-ASCII text intact in both directions', async (ctx) => {
  const alice = await ctx.user('alice_e');
  const bob = await ctx.user('bob_e');
  const group = uid('group_e');
  await ctx.server.createGroup(group, [alice.uid, bob.uid]);
  await Promise.all([alice.connectOk(), bob.connectOk()]);

  const texts = [
    '你好，世界！这是一条中文消息。',
    'emoji 😀🎉👍🏽 👩‍👩‍👧‍👦 🇫🇷 and a 4-byte 𝄞',
    'Accents: àéîõü ÀÉÎÕÜ ç ñ ß ø å — Ελληνικά, русский, עברית, العربية',
    'mixed: 中文 + emoji 🚀 + café + "quotes" \\ backslash \t tab\nnewline',
  ];

  const delivered = [];
  for (const text of texts) {
    const m = await sendOk(alice, bob.uid, PERSON, text);
    const r = await bob.waitForMessage(byClientMsgNo(m.clientMsgNo), `RECV of ${JSON.stringify(text)}`, WAIT_MS);
    assertReceived(r, { fromUID: alice.uid, channelID: alice.uid, channelType: PERSON, text, payload: m.payload,
      messageSeq: m.ack.messageSeq }, 'alice → bob, non-ASCII');
    delivered.push(m);

    const back = await sendOk(bob, alice.uid, PERSON, text);
    const rb = await alice.waitForMessage(byClientMsgNo(back.clientMsgNo), `RECV of ${JSON.stringify(text)}`, WAIT_MS);
    assertReceived(rb, { fromUID: bob.uid, channelID: bob.uid, channelType: PERSON, text, payload: back.payload,
      messageSeq: back.ack.messageSeq }, 'bob → alice, non-ASCII');
    delivered.push(back);

    const g = await sendOk(alice, group, GROUP, text);
    const rg = await bob.waitForMessage(byClientMsgNo(g.clientMsgNo), `group RECV of ${JSON.stringify(text)}`, WAIT_MS);
    assertReceived(rg, { fromUID: alice.uid, channelID: group, channelType: GROUP, text, payload: g.payload,
      messageSeq: g.ack.messageSeq }, 'group, non-ASCII');
  }

  // Over HTTP: the payload bytes are chosen by the application, not by the SDK. A hand-written
  // JSON text (other key order, spaces, a non-ASCII key) must arrive byte for byte; the server
  // must not re-serialise it.
  const handmade = Buffer.from('{ "type": 1, "content": "HTTP → 你好 😀 café", "ключ": "значение" }', 'utf8');
  const sent = await ctx.server.sendMessage({ fromUID: alice.uid, channelID: bob.uid, channelType: PERSON, payload: handmade });
  const rh = await bob.waitForMessage((m) => m.messageID === String(sent.message_idstr), 'RECV of the HTTP non-ASCII message', WAIT_MS);
  assertReceived(rh, { fromUID: alice.uid, channelID: alice.uid, channelType: PERSON, text: 'HTTP → 你好 😀 café',
    payload: handmade, messageSeq: sent.message_seq }, 'HTTP person message, non-ASCII');
  const sentG = await ctx.server.sendMessage({ fromUID: uid('svc_e'), channelID: group, channelType: GROUP, payload: handmade });
  for (const u of [alice, bob]) {
    const r = await u.waitForMessage((m) => m.messageID === String(sentG.message_idstr), 'RECV of the HTTP non-ASCII group message', WAIT_MS);
    assertReceived(r, { fromUID: uid('svc_e'), channelID: group, channelType: GROUP, text: 'HTTP → 你好 😀 café',
      payload: handmade, messageSeq: sentG.message_seq }, `${u.name}: HTTP group message, non-ASCII`);
  }

  // Storage keeps the SDK's bytes too.
  const sync = await ctx.server.messageSync({ loginUID: alice.uid, channelID: bob.uid, channelType: PERSON });
  const stored = new Map((sync.messages || []).map((m) => [m.client_msg_no, m]));
  for (const m of delivered) {
    const s = stored.get(m.clientMsgNo);
    assert.ok(s, `message ${m.clientMsgNo} is listed by /channel/messagesync`);
    assertBytes(s.payload, m.payload, `stored payload of ${JSON.stringify(m.text)}`);
  }
  assertBytes(stored.get(sent.client_msg_no)?.payload, handmade, 'stored payload of the HTTP message');
});

scenario('f. SENDACKs and /channel/messagesync', async (ctx) => {
  const alice = await ctx.user('alice_f');
  const bob = await ctx.user('bob_f');
  await Promise.all([alice.connectOk(), bob.connectOk()]);

  // Several sends in a row, without waiting in between.
  const texts = ['first', 'second', 'third', 'fourth', 'fifth'];
  const sent = [];
  for (const text of texts) sent.push({ ...(await alice.sendText(bob.uid, PERSON, text)), text });
  const acks = [];
  for (const s of sent) {
    const ack = await alice.waitForSendack(s.clientSeq, WAIT_MS);
    assert.equal(ack.reasonCode, 1, `SENDACK reason for ${s.text}`);
    assert.match(ack.messageID, /^[1-9][0-9]*$/, 'SENDACK messageID is a positive integer');
    assert.ok(ack.messageSeq > 0, `SENDACK messageSeq > 0 for ${s.text}`);
    acks.push(ack);
  }
  assert.deepEqual(sent.map((s) => s.clientSeq), texts.map((_, i) => sent[0].clientSeq + i), 'client_seq counts up');
  for (let i = 1; i < acks.length; i++) {
    assert.equal(acks[i].messageSeq, acks[i - 1].messageSeq + 1,
      `messages sent in a row get consecutive message_seq (${acks.map((a) => a.messageSeq).join(', ')})`);
  }
  assert.equal(new Set(acks.map((a) => a.messageID)).size, acks.length, 'message ids are distinct');
  // Each SENDACK answers exactly one SEND.
  for (const s of sent) {
    assert.equal(alice.list('sendack', (a) => a.clientSeq === s.clientSeq).length, 1, `one SENDACK for client_seq ${s.clientSeq}`);
  }

  // The receiver gets them live, in order, with the acknowledged ids.
  const last = sent[sent.length - 1];
  await bob.waitForMessage(byClientMsgNo(last.clientMsgNo), 'RECV of the last message', WAIT_MS);
  const got = bob.received((m) => m.channelID === alice.uid);
  assert.deepEqual(got.map((m) => m.text), texts, 'bob receives the messages in order');
  assert.deepEqual(got.map((m) => m.messageSeq), acks.map((a) => a.messageSeq), 'bob sees the acknowledged message_seq');
  assert.deepEqual(got.map((m) => m.messageID), acks.map((a) => a.messageID), 'bob sees the acknowledged message ids');

  // Stored in order, as both parties see it over HTTP.
  for (const [login, peer] of [[alice, bob], [bob, alice]]) {
    const sync = await ctx.server.messageSync({ loginUID: login.uid, channelID: peer.uid, channelType: PERSON });
    assert.ok(Array.isArray(sync.messages), `/channel/messagesync answers {messages:[…]}: ${JSON.stringify(sync)}`);
    const msgs = sync.messages;
    assert.deepEqual(msgs.map((m) => m.client_msg_no), sent.map((s) => s.clientMsgNo),
      `/channel/messagesync for ${login.name} lists exactly the sent messages in order`);
    msgs.forEach((m, i) => {
      const what = `stored message ${i + 1} (login ${login.name})`;
      assert.equal(m.message_seq, acks[i].messageSeq, `${what}: message_seq`);
      assert.equal(String(m.message_idstr), acks[i].messageID, `${what}: message_idstr`);
      assert.equal(m.from_uid, alice.uid, `${what}: from_uid`);
      assert.equal(m.channel_id, peer.uid, `${what}: channel_id is the peer of login_uid`);
      assert.equal(m.channel_type, PERSON, `${what}: channel_type`);
      assertBytes(m.payload, textPayload(texts[i]), `${what}: payload`);
    });
  }
});

scenario('g. SDK over wss:// (WebSocket over TLS)', async (ctx) => {
  // A server of its own with a wssAddr listener and a certificate made at run time; the SDK
  // connects to wss://127.0.0.1:<port> and verifies that certificate (it trusts nothing else).
  const server = await ctx.startServer('jindou-wss', [], { wss: true });
  const alice = await ctx.user('alice_g', { server, wss: true });
  const bob = await ctx.user('bob_g', { server }); // plain ws:// on the same server
  await Promise.all([alice.connectOk(), bob.connectOk()]);
  const opened = alice.list('ws', (w) => w.what === 'created');
  assert.ok(opened.length >= 1 && opened[0].url.startsWith('wss://'), `alice connects over wss: ${JSON.stringify(opened)}`);

  const m1 = await sendOk(alice, bob.uid, PERSON, 'over TLS → 你好 🔒');
  const r1 = await bob.waitForMessage(byClientMsgNo(m1.clientMsgNo), 'RECV of the wss client\'s message', WAIT_MS);
  assertReceived(r1, { fromUID: alice.uid, channelID: alice.uid, channelType: PERSON, text: m1.text,
    payload: m1.payload, messageID: m1.ack.messageID, messageSeq: m1.ack.messageSeq }, 'bob (ws) receives from alice (wss)');
  const m2 = await sendOk(bob, alice.uid, PERSON, 'back over TLS');
  const r2 = await alice.waitForMessage(byClientMsgNo(m2.clientMsgNo), 'RECV over wss', WAIT_MS);
  assertReceived(r2, { fromUID: bob.uid, channelID: bob.uid, channelType: PERSON, text: m2.text,
    payload: m2.payload, messageID: m2.ack.messageID, messageSeq: m2.ack.messageSeq }, 'alice (wss) receives from bob (ws)');
  exactlyOnce(alice, m2.clientMsgNo, 'bob → alice over wss');

  const conns = await server.call('GET', `/connz?uid=${encodeURIComponent(alice.uid)}`);
  assert.equal(conns.connections.length, 1, `/connz lists alice's one connection: ${JSON.stringify(conns)}`);
  assert.equal(conns.connections[0].transport, 'wss', 'transport of the TLS connection');
  assert.equal(conns.connections[0].version, 2, 'SDK 1.0.4 speaks version 2');
  const st = await alice.state();
  assert.equal(st.wsCount, 1, 'one WebSocket: no reconnects over TLS');
});

// A webhook receiver: records every POST (event and parsed body) and answers 200.
async function startWebhookReceiver() {
  const calls = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const event = new URL(req.url, 'http://x').searchParams.get('event');
      calls.push({ event, body: JSON.parse(body) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":200}');
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}/webhook`,
    calls,
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}

// Waits for a user.onlinestatus entry of `who` (parsed) that matches `pred`.
async function waitForStatus(receiver, who, pred, what) {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    for (const c of receiver.calls) {
      if (c.event !== 'user.onlinestatus') continue;
      for (const entry of c.body) {
        const f = entry.split('-');
        const parsed = { uid: f.slice(0, f.length - 5).join('-'), deviceFlag: Number(f[f.length - 5]),
          online: Number(f[f.length - 4]), connId: f[f.length - 3], deviceCount: Number(f[f.length - 2]),
          totalCount: Number(f[f.length - 1]) };
        if (parsed.uid === who && pred(parsed)) return parsed;
      }
    }
    await sleep(50);
  }
  throw new Error(`${what}: no such user.onlinestatus entry within ${WAIT_MS} ms; got ${JSON.stringify(receiver.calls)}`);
}

scenario('h. user.onlinestatus webhooks for SDK connections', async (ctx) => {
  const receiver = await startWebhookReceiver();
  try {
    const server = await ctx.startServer('jindou-webhooks', [`webhook.httpAddr=${receiver.url}`,
      'webhook.focusEvents=user.onlinestatus', 'webhook.msgNotifyEventPushInterval=50ms']);
    const alice = await ctx.user('alice_h', { server });
    await alice.connectOk();
    // The JS SDK connects as a web device (device_flag 1).
    const on = await waitForStatus(receiver, alice.uid, (e) => e.online === 1, 'online after CONNECT');
    assert.equal(on.deviceFlag, 1, 'the SDK is a web device');
    assert.equal(on.deviceCount, 1, 'one web connection');
    assert.equal(on.totalCount, 1, 'one connection in all');
    const conns = await server.call('GET', `/connz?uid=${encodeURIComponent(alice.uid)}`);
    assert.equal(String(conns.connections[0].id), on.connId, 'the connection id is the one /connz lists');

    await alice.stop();
    const off = await waitForStatus(receiver, alice.uid, (e) => e.online === 0, 'offline after the SDK disconnected');
    assert.equal(off.connId, on.connId, 'the same connection goes offline');
    assert.equal(off.deviceCount, 0, 'no web connection left');
    assert.equal(off.totalCount, 0, 'no connection left');
    assert.equal(receiver.calls.filter((c) => c.event !== 'user.onlinestatus').length, 0,
      'focusEvents=user.onlinestatus sends nothing else');
  } finally {
    await receiver.close();
  }
});

// SDK 1.0.4 speaks protocol 2: in a channel with streams it must get each anchor as a plain
// message (never a RECV with stream fields, which it misparses), no EVENT (it has no decoder and
// would drop the connection), and keep working for the messages that follow.
scenario('i. SDK 1.0.4 in a channel with streams', async (ctx) => {
  const alice = await ctx.user('alice_i');
  const group = uid('group_i');
  const bot = uid('bot_i');
  await ctx.server.createGroup(group, [alice.uid, bot]);
  await alice.connectOk();
  const anchorPayload = textPayload('thinking...');
  const opened = await ctx.server.call('POST', '/stream/open', { from_uid: bot, channel_id: group,
    channel_type: GROUP, payload: b64(anchorPayload) });
  assert.ok(opened.stream_no, `/stream/open must answer a stream_no: ${JSON.stringify(opened)}`);
  for (let i = 1; i <= 20; i++) {
    const r = await ctx.server.call('POST', '/message/send', { stream_no: opened.stream_no,
      payload: b64(Buffer.from(`token${i} `)) });
    assert.equal(r.stream_seq, i, `chunk ${i}: ${JSON.stringify(r)}`);
  }
  await ctx.server.call('POST', '/stream/close', { stream_no: opened.stream_no });
  const after = textPayload('the next message');
  const sent = await ctx.server.sendMessage({ fromUID: bot, channelID: group, channelType: GROUP, payload: after });

  const anchor = await alice.waitForMessage((m) => m.messageID === String(opened.message_idstr), 'RECV of the anchor', WAIT_MS);
  assertReceived(anchor, { fromUID: bot, channelID: group, channelType: GROUP, text: 'thinking...',
    payload: anchorPayload, messageID: opened.message_idstr, messageSeq: opened.message_seq }, 'the anchor arrives as a plain message');
  const next = await alice.waitForMessage((m) => m.messageID === String(sent.message_idstr), 'RECV of the next message', WAIT_MS);
  assertReceived(next, { fromUID: bot, channelID: group, channelType: GROUP, text: 'the next message',
    payload: after, messageSeq: sent.message_seq }, 'the next message arrives');
  assert.equal(alice.received().length, 2, 'exactly the anchor and the next message');
  // Still connected: no EVENT reached it and nothing made it reconnect.
  await sleep(RECONNECT_WATCH_MS);
  const st = await alice.state();
  assert.equal(st.wsCount, 1, `the SDK must not have reconnected (WebSockets opened: ${st.wsCount})`);
  assert.equal(alice.list('status', (x) => x.status !== ConnectStatus.Connected).length, 0,
    'no status but Connected: the connection never dropped');
  const synced = await ctx.server.call('POST', '/channel/messagesync', { login_uid: alice.uid,
    channel_id: group, channel_type: GROUP, stream_v2: 1 });
  const stored = synced.messages.find((m) => m.message_idstr === opened.message_idstr);
  const expected = Array.from({ length: 20 }, (_, i) => `token${i + 1} `).join('');
  assert.equal(Buffer.from(stored.stream_data, 'base64').toString('utf8'), expected, 'the assembled stream by sync');
  assert.equal(stored.end, 1, 'the stream has ended');
});

// ---- main ------------------------------------------------------------------------------------

async function main() {
  const filter = process.argv[2];
  const selected = scenarios.filter((s) => !filter || s.name.includes(filter));
  console.log(`jindou + wukongimjssdk 1.0.4 (node ${process.version}), run id ${RUN}, ${selected.length} scenario(s)`);
  let server;
  let passed = 0;
  let failed = 0;
  try {
    server = new JindouServer({ name: 'jindou' });
    await server.start();
  } catch (err) {
    console.log(`FAIL could not start the server: ${err.message}`);
    console.log(`0 passed, ${selected.length} failed`);
    return 1;
  }
  console.log(`server: ${server.commandLine()}`);
  for (const s of selected) {
    const ctx = new Context(server);
    const started = Date.now();
    let error;
    try {
      await withTimeout(s.fn(ctx), s.timeoutMs, `scenario "${s.name}"`);
      assertNoProblems(ctx);
      assert.ok(server.running(), `the server process ended during the scenario: ${JSON.stringify(server.exit)}`);
    } catch (err) {
      error = err;
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (error) {
      failed += 1;
      console.log(`FAIL ${s.name} (${secs} s)`);
      await report(ctx, error);
    } else {
      passed += 1;
      console.log(`ok   ${s.name} (${secs} s)`);
    }
    await ctx.cleanup(Boolean(error));
  }
  const exit = await server.stop();
  if (exit && (exit.forced || exit.alreadyExited || (exit.signal && exit.signal !== 'SIGTERM') || (exit.code !== null && exit.code !== 0))) {
    console.log(`note: server stop: ${JSON.stringify(exit)}\n${indent(server.logTail(20), '    ')}`);
  }
  if (failed || process.env.JINDOU_KEEP_TEST_DIRS) console.log(`server files kept in ${server.rootDir}`);
  else server.removeDir();
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error('test runner error:', err);
  process.exit(1);
});
