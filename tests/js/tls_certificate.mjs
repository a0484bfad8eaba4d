// A self-signed TLS certificate for the wss:// scenario, made with node:crypto alone.
//
// Node can make key pairs and signatures but has no API that builds an X.509 certificate, and
// the tests must not depend on an `openssl` executable or on extra npm packages. The certificate
// is small enough to write by hand in DER: X.509 v3, EC P-256 key, ECDSA with SHA-256, subject
// and issuer CN=127.0.0.1, valid from an hour ago for a day, subjectAltName IP 127.0.0.1 and DNS
// localhost — so a client that trusts exactly this certificate (`ca`) verifies the server at
// wss://127.0.0.1 with full hostname checking.

import crypto from 'node:crypto';

function der(tag, ...parts) {
  const body = Buffer.concat(parts);
  let length;
  if (body.length < 0x80) {
    length = Buffer.from([body.length]);
  } else {
    const bytes = [];
    for (let n = body.length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const sequence = (...parts) => der(0x30, ...parts);
const set = (...parts) => der(0x31, ...parts);
const integer = (bytes) => der(0x02, bytes);
const utf8String = (text) => der(0x0c, Buffer.from(text, 'utf8'));
const octetString = (bytes) => der(0x04, bytes);
const bitString = (bytes) => der(0x03, Buffer.from([0]), bytes);
const explicit = (n, inner) => der(0xa0 | n, inner);

function objectId(dotted) {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

// UTCTime YYMMDDHHMMSSZ (valid for years before 2050).
function utcTime(date) {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(text, 'ascii'));
}

function pem(label, bytes) {
  const lines = bytes.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

// Returns {certPem, keyPem} (the key as unencrypted PKCS#8).
export function makeSelfSignedCertificate() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = sequence(objectId('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(objectId('2.5.4.3'), utf8String('127.0.0.1'))));
  const serial = crypto.randomBytes(8);
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and minimal DER
  const now = Date.now();
  const subjectAltName = sequence(
    der(0x87, Buffer.from([127, 0, 0, 1])), // iPAddress
    der(0x82, Buffer.from('localhost', 'ascii')), // dNSName
  );
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - 3600e3)), utcTime(new Date(now + 24 * 3600e3))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(sequence(objectId('2.5.29.17'), octetString(subjectAltName)))),
  );
  const signature = crypto.sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certPem = pem('CERTIFICATE', sequence(tbs, ecdsaWithSha256, bitString(signature)));

  // Node parses and verifies what was written, so a mistake here fails loudly and early.
  const parsed = new crypto.X509Certificate(certPem);
  if (!parsed.verify(publicKey) || parsed.checkIP('127.0.0.1') !== '127.0.0.1') {
    throw new Error('the generated test certificate does not verify');
  }
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
}
