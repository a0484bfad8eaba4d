// One simulated user: a Node child process that holds exactly one WKSDK.shared() instance.
//
// Started by startSdkUser() in sdk_loader.mjs with child_process.fork(). The parent sends
// commands over the IPC channel ({id, cmd, args}) and gets one reply per command
// ({id, ok, result} or {id, ok: false, error}). Everything the SDK reports on its own
// (connection status, messages, send acknowledgements) and every anomaly this process notices
// (a WebSocket message that does not hold exactly one packet, a RECV the SDK dropped, an SDK
// decode error, an unhandled rejection) is pushed to the parent as {event, data}.

import { Buffer } from 'node:buffer';
import { inspect } from 'node:util';
import { loadWKSDK, countPackets, packetTypeName } from './sdk_loader.mjs';

if (!process.send) {
  console.error('sdk_user_process.mjs must be started by sdk_loader.mjs (it needs an IPC channel)');
  process.exit(2);
}

function emit(event, data) {
  try {
    process.send({ event, data });
  } catch {
    // the parent is gone; the 'disconnect' handler below ends this process
  }
}

process.on('disconnect', () => process.exit(0));

// The SDK's packet handler is async: an exception inside it becomes an unhandled rejection,
// which would end Node 20. Report it instead.
process.on('unhandledRejection', (reason) => {
  emit('rejection', { text: reason instanceof Error ? reason.stack || String(reason) : inspect(reason) });
});
process.on('uncaughtException', (err) => {
  emit('rejection', { text: 'uncaught exception: ' + (err.stack || String(err)) });
});

// The SDK reports decode errors and messages with a wrong msg_key only through console.log.
// Keep its log lines on stdout (the parent keeps the tail) and flag the two that mean the
// server sent something the SDK could not use.
const SDK_ERROR_MARKERS = [
  ['解码数据异常', 'the SDK failed to decode data from the server (it reconnects in 3 s)'],
  ['非法的消息', 'the SDK rejected a RECV because its msg_key did not verify'],
];
const originalLog = console.log.bind(console);
console.log = (...args) => {
  const line = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 2, breakLength: 200 })))
    .join(' ');
  originalLog(`[sdk ${new Date().toISOString()}] ${line}`);
  for (const [marker, meaning] of SDK_ERROR_MARKERS) {
    if (line.includes(marker)) emit('sdkError', { meaning, line: line.slice(0, 2000) });
  }
};

// ---- WebSocket tracing ---------------------------------------------------------------------

const MAX_TRACE = 200;
const frames = []; // last MAX_TRACE WebSocket messages in both directions
let wsCount = 0; // WebSocket objects the SDK created (1 per connection attempt)

function toBytes(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Uint8Array.from(Buffer.concat(data));
  return Uint8Array.from(Buffer.from(String(data)));
}

function record(dir, bytes, isBinary) {
  const info = countPackets(bytes);
  const frame = {
    at: new Date().toISOString(),
    dir,
    binary: isBinary,
    length: bytes.length,
    packets: info.types.map(packetTypeName),
    hex: Buffer.from(bytes.subarray(0, 512)).toString('hex') + (bytes.length > 512 ? '…' : ''),
  };
  frames.push(frame);
  if (frames.length > MAX_TRACE) frames.shift();
  if (dir === 'in') {
    // wkproto §1.3: every packet from the server must be its own binary WebSocket message;
    // SDK 1.0.4 loses messages otherwise.
    if (!isBinary) emit('violation', { what: 'the server sent a text WebSocket message', frame });
    else if (info.count !== 1 || info.incomplete) {
      emit('violation', {
        what: info.incomplete
          ? `a WebSocket message ends inside a packet (${info.count} complete packet(s) before it)`
          : `a WebSocket message holds ${info.count} packets instead of exactly one`,
        frame,
      });
    }
  }
}

// `tlsCa`: for wss:// URLs, the only certificate trusted (the SDK itself passes just the URL).
function makeTracingWebSocket(WS, tlsCa) {
  return class TracingWebSocket extends WS {
    constructor(url, protocols, options) {
      const wss = String(url).startsWith('wss:');
      super(url, protocols, wss && tlsCa ? { ...options, ca: tlsCa } : options);
      wsCount += 1;
      const n = wsCount;
      emit('ws', { n, what: 'created', url: String(url) });
      this.on('open', () => emit('ws', { n, what: 'open' }));
      this.on('message', (data, isBinary) => record('in', toBytes(data), isBinary));
      this.on('close', (code, reason) => emit('ws', { n, what: 'close', code, reason: String(reason) }));
      this.on('error', (err) => emit('ws', { n, what: 'error', error: String(err && err.message) }));
    }

    send(data, ...rest) {
      record('out', toBytes(data), true);
      return super.send(data, ...rest);
    }
  };
}

// ---- the SDK -------------------------------------------------------------------------------

let sdk; // WKSDK.shared() of this process
let currentRecv; // the RECV packet the SDK is handling right now

function messageToPlain(message, local) {
  const content = message.content || {};
  const plain = {
    local, // true: the copy chatManager.send() hands to listeners before anything is sent
    messageID: message.messageID === undefined ? undefined : String(message.messageID),
    messageSeq: message.messageSeq,
    clientMsgNo: message.clientMsgNo,
    clientSeq: message.clientSeq,
    fromUID: message.fromUID,
    channelID: message.channel && message.channel.channelID,
    channelType: message.channel && message.channel.channelType,
    contentType: message.contentType,
    text: content.text,
    status: message.status,
    timestamp: message.timestamp,
    reddot: message.header ? message.header.reddot : undefined,
  };
  if (!local && currentRecv && String(currentRecv.messageID) === plain.messageID) {
    // After the msg_key check the SDK replaces the RECV's payload by the decrypted bytes:
    // these are exactly the plaintext bytes the server delivered.
    plain.payloadBase64 = Buffer.from(currentRecv.payload).toString('base64');
  }
  return plain;
}

async function init({ addr, uid, token, debug, tlsCa }) {
  const WS = (await import('ws')).default;
  const WKSDK = await loadWKSDK({ WebSocketClass: makeTracingWebSocket(WS, tlsCa) });
  sdk = WKSDK.shared();
  sdk.config.addr = addr;
  sdk.config.uid = uid;
  sdk.config.token = token;
  if (debug) sdk.config.debug = true;

  sdk.connectManager.addConnectStatusListener((status, reasonCode) => {
    emit('status', { status, reasonCode });
  });
  sdk.chatManager.addMessageListener((message) => {
    const local = message.messageID === undefined && message.clientSeq !== undefined;
    emit('message', messageToPlain(message, local));
  });
  sdk.chatManager.addCMDListener((message) => {
    emit('cmd', messageToPlain(message, false));
  });
  sdk.chatManager.addMessageStatusListener((ack) => {
    emit('sendack', {
      clientSeq: ack.clientSeq,
      messageID: String(ack.messageID),
      messageSeq: ack.messageSeq,
      reasonCode: ack.reasonCode,
    });
  });

  // Observe (not change) the SDK's packet handling: remember the RECV being handled so the
  // message listener can report its decrypted bytes, and report RECVs that reached neither a
  // message listener nor a command listener (the SDK drops those silently).
  const chatManager = sdk.chatManager;
  const handle = chatManager.onPacket.bind(chatManager);
  chatManager.onPacket = (packet) => {
    const isRecv = packet && packet.constructor && packet.constructor.name === 'RecvPacket';
    if (!isRecv) return handle(packet);
    currentRecv = packet;
    let delivered = false;
    const mark = () => { delivered = true; };
    chatManager.addMessageListener(mark);
    chatManager.addCMDListener(mark);
    try {
      return handle(packet);
    } finally {
      chatManager.removeMessageListener(mark);
      chatManager.removeCMDListener(mark);
      currentRecv = undefined;
      if (!delivered) {
        emit('recvDropped', {
          messageID: String(packet.messageID),
          messageSeq: packet.messageSeq,
          fromUID: packet.fromUID,
          channelID: packet.channelID,
          channelType: packet.channelType,
          msgKey: packet.msgKey,
        });
      }
    }
  };
  return { uid };
}

const commands = {
  init,
  connect() {
    sdk.connectManager.connect();
    return {};
  },
  async sendText({ channelID, channelType, text }) {
    const message = await sdk.chatManager.send(sdk.newMessageText(text), sdk.newChannel(channelID, channelType));
    return { clientSeq: message.clientSeq, clientMsgNo: message.clientMsgNo };
  },
  disconnect() {
    sdk.connectManager.disconnect();
    return {};
  },
  state() {
    const cm = sdk.connectManager;
    return { status: cm.status, needReconnect: cm.needReconnect, wsCount };
  },
  trace() {
    return { frames };
  },
  exit() {
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async (msg) => {
  if (!msg || typeof msg.cmd !== 'string') return;
  const { id, cmd, args } = msg;
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    if (cmd !== 'init' && !sdk) throw new Error('init must come first');
    const result = await fn(args || {});
    process.send({ id, ok: true, result });
  } catch (err) {
    process.send({ id, ok: false, error: err && err.stack ? err.stack : String(err) });
  }
});

emit('ready', { pid: process.pid });
