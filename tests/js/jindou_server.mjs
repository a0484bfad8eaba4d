// Starts and stops a real jindou server for the tests, and talks to its HTTP API.
//
// The binary comes from the environment variable JINDOU_BINARY. Each server gets a fresh
// temporary directory (data dir + server.log) and free loopback ports found by binding port 0.
// With `wss: true` it also listens for WebSocket over TLS, with a self-signed certificate made
// at run time (tls_certificate.mjs) and written to that directory.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSelfSignedCertificate } from './tls_certificate.mjs';

const HOST = '127.0.0.1';

// Binds `count` sockets to port 0 at the same time (so the ports are distinct), then frees them.
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, HOST, resolve);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

export class JindouServer {
  constructor({ name = 'jindou', options = [], wss = false } = {}) {
    const binary = process.env.JINDOU_BINARY;
    if (!binary) throw new Error('JINDOU_BINARY is not set: it must name the jindou server binary');
    if (!fs.existsSync(binary)) throw new Error(`JINDOU_BINARY=${binary} does not exist`);
    this.binary = binary;
    this.name = name;
    this.options = options; // extra "-o key=value" settings
    this.rootDir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'jindou-js-'));
    this.dataDir = path.join(this.rootDir, 'data');
    this.logPath = path.join(this.rootDir, 'server.log');
    this.proc = null;
    this.exit = null; // {code, signal} once the process has ended
    this.tls = null; // {certPem, keyPem, certFile, keyFile} when listening for wss
    if (wss) {
      const { certPem, keyPem } = makeSelfSignedCertificate();
      const certFile = path.join(this.rootDir, 'cert.pem');
      const keyFile = path.join(this.rootDir, 'key.pem');
      fs.writeFileSync(certFile, certPem);
      fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
      this.tls = { certPem, keyPem, certFile, keyFile };
    }
  }

  get httpBase() { return `http://${HOST}:${this.httpPort}`; }
  get wsAddr() { return `ws://${HOST}:${this.wsPort}`; }
  get wssAddr() { return `wss://${HOST}:${this.wssPort}`; }

  args() {
    const args = ['--data-dir', this.dataDir,
      '--http-addr', `${HOST}:${this.httpPort}`,
      '--addr', `${HOST}:${this.tcpPort}`,
      '--ws-addr', `${HOST}:${this.wsPort}`,
      '-o', `manager.addr=${HOST}:${this.managerPort}`];
    if (this.tls) {
      args.push('-o', `wssAddr=${HOST}:${this.wssPort}`, '-o', `wssConfig.certFile=${this.tls.certFile}`,
        '-o', `wssConfig.keyFile=${this.tls.keyFile}`);
    }
    for (const o of this.options) args.push('-o', o);
    return args;
  }

  commandLine() {
    return [this.binary, ...this.args()].join(' ');
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 60) {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  async start({ readyTimeoutMs = 30000 } = {}) {
    for (let attempt = 0; ; attempt++) {
      [this.httpPort, this.tcpPort, this.wsPort, this.managerPort, this.wssPort] =
        await freePorts(this.tls ? 5 : 4);
      const logBefore = this.log().length;
      const logFd = fs.openSync(this.logPath, 'a');
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WK_')));
      this.exit = null;
      this.proc = spawn(this.binary, this.args(), { stdio: ['ignore', logFd, logFd], env });
      fs.closeSync(logFd);
      const proc = this.proc;
      proc.on('exit', (code, signal) => { if (this.proc === proc) this.exit = { code, signal }; });
      proc.on('error', (err) => { if (this.proc === proc) this.exit = { code: -1, signal: null, error: String(err) }; });

      const deadline = Date.now() + readyTimeoutMs;
      let ready = false;
      while (Date.now() < deadline && !this.exit) {
        try {
          const res = await fetch(`${this.httpBase}/health`, { signal: AbortSignal.timeout(2000) });
          await res.text();
          if (res.status === 200 && await canConnect(this.wsPort) &&
              (!this.tls || await canConnect(this.wssPort))) {
            ready = true;
            break;
          }
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
      if (ready) return this;
      const output = this.log().slice(logBefore);
      if (this.exit) {
        if (attempt < 3 && /cannot listen|in use/i.test(output)) continue; // port race: pick again
        throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before it was ready\n` +
          `command: ${this.commandLine()}\nlog:\n${output}`);
      }
      await this.kill();
      throw new Error(`${this.name} did not answer GET /health with 200 within ${readyTimeoutMs} ms\n` +
        `command: ${this.commandLine()}\nlog:\n${output}`);
    }
  }

  running() {
    return this.proc !== null && this.exit === null;
  }

  async waitExit(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.exit === null && Date.now() < deadline) await sleep(20);
    return this.exit;
  }

  // SIGTERM, then SIGKILL after timeoutMs. Returns {code, signal, forced}.
  async stop({ timeoutMs = 15000 } = {}) {
    if (!this.proc) return null;
    if (this.exit) return { ...this.exit, alreadyExited: true };
    this.proc.kill('SIGTERM');
    const exit = await this.waitExit(timeoutMs);
    if (exit) return { ...exit, forced: false };
    await this.kill();
    return { ...this.exit, forced: true };
  }

  async kill() {
    if (this.running()) {
      this.proc.kill('SIGKILL');
      await this.waitExit(5000);
    }
  }

  removeDir() {
    fs.rmSync(this.rootDir, { recursive: true, force: true });
  }

  // ---- HTTP API ----

  async http(method, urlPath, body) {
    const init = { method, headers: {}, signal: AbortSignal.timeout(10000) };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(this.httpBase + urlPath, init);
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  // Like http(), but requires HTTP 200.
  async call(method, urlPath, body) {
    const r = await this.http(method, urlPath, body);
    if (r.status !== 200) {
      throw new Error(`${method} ${urlPath} ${JSON.stringify(body)} answered HTTP ${r.status}: ${r.text}`);
    }
    return r.json;
  }

  createGroup(channelID, subscribers) {
    return this.call('POST', '/channel', { channel_id: channelID, channel_type: 2, subscribers });
  }

  registerToken(uid, token, { deviceFlag = 1, deviceLevel = 0 } = {}) {
    return this.call('POST', '/user/token', { uid, token, device_flag: deviceFlag, device_level: deviceLevel });
  }

  // payload: a Buffer (sent as is) or a string (sent as UTF-8).
  sendMessage({ fromUID, channelID, channelType, payload, clientMsgNo }) {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
    const body = {
      header: { red_dot: 1 },
      from_uid: fromUID,
      channel_id: channelID,
      channel_type: channelType,
      payload: bytes.toString('base64'),
    };
    if (clientMsgNo) body.client_msg_no = clientMsgNo;
    return this.call('POST', '/message/send', body);
  }

  async messageSync({ loginUID, channelID, channelType, limit = 1000 }) {
    const r = await this.call('POST', '/channel/messagesync', {
      login_uid: loginUID, channel_id: channelID, channel_type: channelType,
      start_message_seq: 0, end_message_seq: 0, limit, pull_mode: 0,
    });
    return r;
  }

  connz() {
    return this.call('GET', '/connz');
  }
}
