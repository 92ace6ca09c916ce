// The trustees' crypto module (static/asamblea/verifiable/ceremony.js) under `node --test`: a whole key
// ceremony among three trustees (t = 2) in JavaScript, a complaint against a bad share, a mistyped
// code caught at decryption, partial decryptions that combine to the count. With TRUSTEE_IN set
// (by asamblea/verifiable/tests/test_ceremony_js.py), it also plays trustees 1 and 2 against a
// trustee 3 played by Python's core, and writes what it posted to TRUSTEE_OUT for Python to check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { ristretto255 } from '../../static/asamblea/verifiable/vendor/noble-curves/ed25519.js';
import * as T from '../../static/asamblea/verifiable/ceremony.js';
import { newCredentialCode, randomScalar } from '../../static/asamblea/verifiable/ballot.js';

const RP = ristretto255.Point;
const L = RP.Fn.ORDER;
const G = RP.BASE;
const mod = (n) => ((n % L) + L) % L;
const PHI = 'ab'.repeat(32);
const CEREMONY = 'election-1/ceremony-1';

function ceremony(n, t) {
  const codes = Array.from({ length: n }, () => T.newTrusteeCode());
  const started = {}; const commitments = {}; const channelKeys = {};
  codes.forEach((code, k) => {
    const i = k + 1;
    started[i] = T.ceremonyStart(PHI, CEREMONY, i, t, code);
    assert.ok(T.checkChannelKey(PHI, i, started[i].channelKey));
    assert.ok(T.checkCommitment(PHI, i, t, started[i].commitment));
    commitments[i] = started[i].commitment.coefficients;
    channelKeys[i] = started[i].channelKey.channel_key;
  });
  const messages = [];
  for (let i = 1; i <= n; i++) messages.push(...T.sharesFor(PHI, i, started[i].mine, channelKeys));
  return { codes, started, commitments, channelKeys, messages };
}

// g^m from t partial decryptions of (alpha, beta): beta / Π F_j^λ_j.
function combine(beta, factors) {
  const idx = Object.keys(factors).map(BigInt);
  let acc = RP.ZERO;
  for (const j of idx) {
    let num = 1n; let den = 1n;
    for (const k of idx) if (k !== j) { num = mod(num * k); den = mod(den * (k - j)); }
    const lambda = mod(num * modInverse(den));
    acc = acc.add(factors[j].multiply(lambda));
  }
  return RP.fromHex(beta).subtract(acc);
}
function modInverse(a) { let [r0, r1, s0, s1] = [mod(a), L, 1n, 0n]; while (r1) { const q = r0 / r1; [r0, r1] = [r1, r0 - q * r1]; [s0, s1] = [s1, s0 - q * s1]; } return mod(s0); }

test('three trustees, two needed: every share checks, the keys match, two of them decrypt', () => {
  const c = ceremony(3, 2);
  assert.equal(c.messages.length, 6);
  for (const m of c.messages) assert.ok(T.checkMessage(PHI, m, c.channelKeys[m.sender]));
  const keys = {};
  for (let j = 1; j <= 3; j++) {
    const { secret, complaints } = T.receiveShares(PHI, j, c.started[j].mine, c.commitments, c.messages.filter((m) => m.receiver === j));
    assert.deepEqual(complaints, []);
    keys[j] = secret;
    const payload = T.keyPayload(PHI, j, secret);
    assert.equal(payload.verification_key, T.expectedVerificationKey(c.commitments, j));
  }
  // The election key y = Π A_i0; encrypt 5 (as a tally would hold) and decrypt with trustees 1, 3.
  const y = Object.values(c.commitments).reduce((acc, a) => acc.add(RP.fromHex(a[0])), RP.ZERO);
  const r = randomScalar();
  const alpha = G.multiply(r).toHex(); const beta = y.multiply(r).add(G.multiply(5n)).toHex();
  const factors = {};
  for (const j of [1, 3]) {
    const again = T.recoverKeyShare(PHI, CEREMONY, j, 2, c.codes[j - 1], c.commitments, c.messages.filter((m) => m.receiver === j), G.multiply(keys[j]).toHex());
    assert.equal(again, keys[j]);
    const pd = T.partialDecryption(PHI, j, again, [[[alpha, beta]]]);
    factors[j] = RP.fromHex(pd.factors[0][0].factor);
  }
  assert.ok(combine(beta, factors).equals(G.multiply(5n)));
});

test('a bad share gives a complaint that names the sender; a false complaint names the accuser', () => {
  const c = ceremony(3, 2);
  // Trustee 2 sends trustee 1 a share off by one.
  const bad = T.encryptShare(PHI, 2, c.started[2].mine.channelSecret, 1, c.channelKeys[1], T.evaluate(c.started[2].mine.coefficients, 1) + 1n);
  const inbox = c.messages.filter((m) => m.receiver === 1 && m.sender !== 2).concat([bad]);
  const { secret, complaints } = T.receiveShares(PHI, 1, c.started[1].mine, c.commitments, inbox);
  assert.equal(secret, null);
  assert.equal(complaints.length, 1);
  const [complaint] = complaints;
  assert.deepEqual([complaint.accuser, complaint.accused], [1, 2]);
  assert.equal(T.judgeComplaint(PHI, complaint, bad, c.channelKeys[1], c.channelKeys[2], c.commitments[2]), 2);
  // The same complaint against a good message: the accuser is at fault.
  const good = c.messages.find((m) => m.receiver === 1 && m.sender === 2);
  const lying = T.complaintPayload(PHI, c.started[1].mine.channelSecret, good);
  assert.equal(T.judgeComplaint(PHI, lying, good, c.channelKeys[1], c.channelKeys[2], c.commitments[2]), 1);
  // A forged shared value (no valid proof) is the accuser's fault too.
  assert.equal(T.judgeComplaint(PHI, { ...complaint, shared: G.multiply(7n).toHex() }, bad, c.channelKeys[1], c.channelKeys[2], c.commitments[2]), 1);
});

test('the server cannot forge or alter a message, nor read it', () => {
  const c = ceremony(2, 2);
  const m = c.messages[0];
  assert.ok(T.checkMessage(PHI, m, c.channelKeys[m.sender]));
  const flipped = { ...m, ciphertext: (m.ciphertext[0] === '0' ? '1' : '0') + m.ciphertext.slice(1) };
  assert.equal(T.checkMessage(PHI, flipped, c.channelKeys[m.sender]), false);
  // The same message signed by someone else's key does not pass as the sender's.
  const forged = T.encryptShare(PHI, m.sender, randomScalar(), m.receiver, c.channelKeys[m.receiver], 5n);
  assert.equal(T.checkMessage(PHI, forged, c.channelKeys[m.sender]), false);
  // Opened with the wrong secret, it gives garbage that fails the share check.
  const wrong = T.decryptShare(PHI, randomScalar(), m);
  assert.ok(wrong === null || !T.checkShare(c.commitments[m.sender], m.receiver, wrong));
  assert.throws(() => T.checkChannelKey(PHI, 1, { ...c.started[1].channelKey, channel_key: 'ff'.repeat(32) }));
  assert.equal(T.checkChannelKey(PHI, 2, c.started[1].channelKey), false);
});

test('a mistyped code is caught before anything is posted; the secrets depend on the ceremony', () => {
  const c = ceremony(3, 2);
  const inbox = c.messages.filter((m) => m.receiver === 2);
  const y2 = T.expectedVerificationKey(c.commitments, 2);
  assert.throws(() => T.recoverKeyShare(PHI, CEREMONY, 2, 2, c.codes[0], c.commitments, inbox, y2), /code/);
  assert.throws(() => T.deriveTrustee(CEREMONY, 'not-a-code', 2), /code/);
  const a = T.deriveTrustee(CEREMONY, c.codes[0], 2);
  const b = T.deriveTrustee(`${CEREMONY}-restarted`, c.codes[0], 2);
  assert.notEqual(a.coefficients[0], b.coefficients[0]);
  assert.notEqual(a.channelPublic, b.channelPublic);
  assert.equal(T.newTrusteeCode().length, newCredentialCode().length);
});

test('against Python: trustees 1 and 2 here, trustee 3 in the core', { skip: !process.env.TRUSTEE_IN }, () => {
  const input = JSON.parse(readFileSync(process.env.TRUSTEE_IN, 'utf8'));
  const { fingerprint, ceremony: cid, threshold } = input;
  const out = { channel_keys: {}, commitments: {}, messages: [], keys: {}, partials: {} };
  const started = {};
  for (const i of [1, 2]) {
    started[i] = T.ceremonyStart(fingerprint, cid, i, threshold, input.codes[i]);
    // The derivation agrees with Python's (trustees.derive): same channel key.
    assert.equal(started[i].channelKey.channel_key, input.expected_channel_keys[i]);
    out.channel_keys[i] = started[i].channelKey;
    out.commitments[i] = started[i].commitment;
  }
  assert.ok(T.checkChannelKey(fingerprint, 3, input.channel_key_3));
  assert.ok(T.checkCommitment(fingerprint, 3, threshold, input.commitment_3));
  const keys = { 1: out.channel_keys[1].channel_key, 2: out.channel_keys[2].channel_key, 3: input.channel_key_3.channel_key };
  const commitments = { 1: out.commitments[1].coefficients, 2: out.commitments[2].coefficients, 3: input.commitment_3.coefficients };
  for (const i of [1, 2]) out.messages.push(...T.sharesFor(fingerprint, i, started[i].mine, keys));
  const all = out.messages.concat(input.messages_3);
  for (const j of [1, 2]) {
    const { secret, complaints } = T.receiveShares(fingerprint, j, started[j].mine, commitments, all.filter((m) => m.receiver === j));
    assert.deepEqual(complaints, []);
    out.keys[j] = T.keyPayload(fingerprint, j, secret);
    out.partials[j] = T.partialDecryption(fingerprint, j, secret, input.tally);
  }
  // Python's bad message to trustee 1: the complaint made here is judged in Python.
  out.complaint = T.complaintPayload(fingerprint, started[1].mine.channelSecret, input.bad_message);
  assert.equal(T.judgeComplaint(fingerprint, out.complaint, input.bad_message, keys[1], keys[3], commitments[3]), 3);
  writeFileSync(process.env.TRUSTEE_OUT, JSON.stringify(out));
});
