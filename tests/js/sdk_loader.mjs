// Loading the npm package wukongimjssdk 1.0.4 under Node 20, one isolated instance per user.
//
// Isolation: WKSDK.shared(), ConnectManager.shared(), ChatManager.shared(),
// SecurityManager.shared() … are module-level singletons, and the SDK finds its WebSocket class
// on globalThis. Two users cannot share one Node process, and a second import() of the package
// under another URL would still share the singletons of every file the entry point imports.
// So every simulated user runs in its own Node child process (sdk_user_process.mjs), started
// here with child_process.fork(); the test process talks to it over the IPC channel. A child
// has its own module graph, globals, timers and AES session key; nothing is shared but the
// server. The SDK never lets its process exit on its own (interval timers), so the child is
// told to exit, and is killed if it does not.
//
// Two kinds of export:
//   loadWKSDK()      in-process loader (used inside the child): resolve hook + global WebSocket
//                    + dynamic import; returns the WKSDK class (the package's default export).
//   startSdkUser()   used by the tests: forks a child and returns an SdkUser handle.

import { fork } from 'node:child_process';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = new URL('.', import.meta.url);

// ---- in-process loading ----------------------------------------------------------------------

let hookRegistered = false;

export async function loadWKSDK({ WebSocketClass } = {}) {
  if (!hookRegistered) {
    register('./sdk_resolve_hook.mjs', import.meta.url);
    hookRegistered = true;
  }
  // The SDK calls `new WebSocket(url)`; Node 20 has no global WebSocket by default.
  globalThis.WebSocket = WebSocketClass || (await import('ws')).default;
  const mod = await import('wukongimjssdk');
  const WKSDK = mod.default;
  if (typeof WKSDK !== 'function' || typeof WKSDK.shared !== 'function') {
    throw new Error('wukongimjssdk did not export the WKSDK class as its default export');
  }
  return WKSDK;
}

// ---- wkproto framing helpers (for traces and checks) ----------------------------------------

const TYPE_NAMES = ['RESERVED', 'CONNECT', 'CONNACK', 'SEND', 'SENDACK', 'RECV', 'RECVACK', 'PING',
  'PONG', 'DISCONNECT', 'SUB', 'SUBACK', 'EVENT', 'TYPE13', 'TYPE14', 'TYPE15'];

export function packetTypeName(type) {
  return TYPE_NAMES[type] || `TYPE${type}`;
}

// Splits a byte string into wkproto packets (header, remaining length, body; PING and PONG are
// one byte). Returns the packet types found, their count, and whether the bytes end inside one.
export function countPackets(bytes) {
  const types = [];
  let pos = 0;
  while (pos < bytes.length) {
    const type = bytes[pos] >> 4;
    if (type === 7 || type === 8) {
      types.push(type);
      pos += 1;
      continue;
    }
    let i = pos + 1;
    let length = 0;
    let multiplier = 1;
    let more = true;
    for (let n = 0; more; n++) {
      if (i >= bytes.length || n >= 4) return { count: types.length, types, incomplete: true };
      const b = bytes[i++];
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      more = (b & 0x80) !== 0;
    }
    if (i + length > bytes.length) return { count: types.length, types, incomplete: true };
    types.push(type);
    pos = i + length;
  }
  return { count: types.length, types, incomplete: false };
}

// ---- one user per child process --------------------------------------------------------------

const STATUS_NAMES = { 0: 'Disconnect', 1: 'Connected', 2: 'Connecting', 3: 'ConnectFail', 4: 'ConnectKick' };
export const ConnectStatus = { Disconnect: 0, Connected: 1, Connecting: 2, ConnectFail: 3, ConnectKick: 4 };

export function statusName(status) {
  return STATUS_NAMES[status] || String(status);
}

const MAX_LOG_LINES = 300;

export class SdkUser {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.nextId = 1;
    this.pending = new Map();
    this.events = []; // every event from the child, in arrival order: {event, data, at}
    this.waiters = new Set();
    this.logLines = [];
    this.exited = null;
    child.on('message', (msg) => this.onChildMessage(msg));
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      const err = new Error(`${this.name}: SDK process exited (code ${code}, signal ${signal})`);
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
      this.wakeWaiters();
    });
    const keep = (stream) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          this.logLines.push(line);
          if (this.logLines.length > MAX_LOG_LINES) this.logLines.shift();
        }
      });
    };
    keep(child.stdout);
    keep(child.stderr);
  }

  onChildMessage(msg) {
    if (msg && msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject, cmd } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`${this.name}: command ${cmd} failed in the SDK process: ${msg.error}`));
      return;
    }
    if (msg && msg.event) {
      this.events.push({ event: msg.event, data: msg.data, at: new Date().toISOString() });
      this.wakeWaiters();
    }
  }

  wakeWaiters() {
    for (const w of [...this.waiters]) w.check();
  }

  command(cmd, args, timeoutMs = 10000) {
    if (this.exited) return Promise.reject(new Error(`${this.name}: SDK process has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: command ${cmd} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        cmd,
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.child.send({ id, cmd, args });
    });
  }

  // Events of one kind, optionally filtered.
  list(event, predicate = () => true) {
    return this.events.filter((e) => e.event === event && predicate(e.data)).map((e) => e.data);
  }

  // Waits until an event of kind `event` satisfies `predicate`; events received before the call
  // count, except the first `since` events.
  // Rejects after timeoutMs with the description and this user's recent history.
  waitFor(event, predicate, what, timeoutMs = 10000, since = 0) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const hit = this.events.slice(since).find((e) => e.event === event && predicate(e.data));
          if (hit) {
            finish();
            resolve(hit.data);
          } else if (this.exited) {
            finish();
            reject(new Error(`${this.name}: SDK process exited while waiting for ${what}\n${this.describe()}`));
          }
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  // ---- what an application does ----

  // Calls connectManager.connect() and waits for the first decisive status report after it:
  // Connected (1), ConnectFail (3) or ConnectKick (4). Returns {status, reasonCode}.
  async connect({ timeoutMs = 10000 } = {}) {
    const since = this.events.length;
    await this.command('connect');
    return this.waitFor('status', (s) => [ConnectStatus.Connected, ConnectStatus.ConnectFail,
      ConnectStatus.ConnectKick].includes(s.status), 'Connected or ConnectFail status report', timeoutMs, since);
  }

  // Connects and requires status Connected with reason 1.
  async connectOk(opts) {
    const s = await this.connect(opts);
    if (s.status !== ConnectStatus.Connected || s.reasonCode !== 1) {
      throw new Error(`${this.name}: expected status Connected (1) with reason 1, got ` +
        `${statusName(s.status)} (${s.status}) with reason ${s.reasonCode}\n${this.describe()}`);
    }
    return s;
  }

  sendText(channelID, channelType, text) {
    return this.command('sendText', { channelID, channelType, text });
  }

  // Messages the SDK delivered to the app's message listener from the server (no local copies).
  received(predicate = () => true) {
    return this.list('message', (m) => !m.local && predicate(m));
  }

  waitForMessage(predicate, what, timeoutMs) {
    return this.waitFor('message', (m) => !m.local && predicate(m), what, timeoutMs);
  }

  waitForSendack(clientSeq, timeoutMs) {
    return this.waitFor('sendack', (a) => a.clientSeq === clientSeq, `SENDACK for client_seq ${clientSeq}`, timeoutMs);
  }

  state() {
    return this.command('state');
  }

  // Problems this user's SDK process noticed: protocol violations, dropped RECVs, SDK decode
  // errors, unhandled rejections.
  problems() {
    return this.events.filter((e) => ['violation', 'recvDropped', 'sdkError', 'rejection'].includes(e.event));
  }

  describe({ events = 40, logs = 40 } = {}) {
    const ev = this.events.slice(-events).map((e) => `    ${e.at} ${e.event} ${JSON.stringify(e.data)}`);
    const lg = this.logLines.slice(-logs).map((l) => `    ${l}`);
    return [`  ${this.name}: last ${ev.length} events:`, ...ev,
      `  ${this.name}: last ${lg.length} SDK log lines:`, ...lg].join('\n');
  }

  async trace() {
    try {
      return (await this.command('trace', {}, 3000)).frames;
    } catch {
      return [];
    }
  }

  async stop() {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    try {
      await this.command('disconnect', {}, 2000);
    } catch {
      // ignore: exiting anyway
    }
    try {
      await this.command('exit', {}, 2000);
    } catch {
      // ignore
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

// Starts a child process with a fresh SDK configured for (addr, uid, token). Does not connect.
// `tlsCa`: the PEM certificate a wss:// server must present (verified, hostname included).
export async function startSdkUser({ name, addr, uid, token = '', debug = false, tlsCa }) {
  const script = fileURLToPath(new URL('./sdk_user_process.mjs', HERE));
  const child = fork(script, [], {
    cwd: fileURLToPath(HERE),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const user = new SdkUser(name || uid, child);
  user.uid = uid;
  await user.waitFor('ready', () => true, 'start of the SDK process', 15000);
  await user.command('init', { addr, uid, token, debug, tlsCa }, 15000);
  return user;
}
