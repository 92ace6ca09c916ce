// The shared test vectors (asamblea/verifiable/tests/vectors.json), checked on the JavaScript side
// with the browser module (ballot.js) and the Node verifier. Run by `node --test` from the Python
// test suite (test_vectors.py), which then verifies in Python the ballots made here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ristretto255 } from '../../static/asamblea/verifiable/vendor/noble-curves/ed25519.js';
import * as ballotjs from '../../static/asamblea/verifiable/ballot.js';
import { verifyBoard } from './verify-election.mjs';

const V = JSON.parse(readFileSync(new URL('../tests/vectors.json', import.meta.url), 'utf8'));
const RP = ristretto255.Point;
const hexToBytes = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const le = (h) => { const b = hexToBytes(h); let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]); return n; };
const scalarHex = (k) => { const b = Buffer.alloc(32); let n = k; for (let i = 0; i < 32; i++) { b[i] = Number(n & 0xffn); n >>= 8n; } return b.toString('hex'); };
const clone = (x) => JSON.parse(JSON.stringify(x));

function rechain(board) {
  board.records.forEach((r, i) => {
    r.index = i;
    r.previous = i ? board.records[i - 1].hash : '0'.repeat(64);
    const body = ballotjs.canonical({ index: r.index, kind: r.kind, previous: r.previous, payload: r.payload });
    r.hash = createHash('sha256').update(body).digest('hex');
  });
  return board;
}

function apply(board, c) {
  const b = clone(board);
  if (c.delete !== undefined) b.records.splice(c.delete, 1);
  else { let t = b.records; for (const s of c.path.slice(0, -1)) t = t[s]; t[c.path.at(-1)] = c.value; }
  return c.rechain ? rechain(b) : b;
}

test('hash to scalar', () => {
  for (const v of V.hash_to_scalar) assert.equal(scalarHex(ballotjs.hashToScalar(v.name, ...v.parts.map(hexToBytes))), v.scalar);
});

test('canonical JSON', () => {
  for (const v of V.canonical) assert.equal(ballotjs.canonical(v.value), v.text);
});

test('credentials and encryption', () => {
  for (const v of V.credentials) assert.equal(ballotjs.deriveCredential(v.election, v.code).public, v.public);
  for (const v of V.encryption) {
    const y = RP.fromHex(v.public_key); const r = le(v.r);
    assert.equal(RP.BASE.multiply(r).toHex(), v.alpha);
    const gm = v.m === 0 ? RP.ZERO : RP.BASE.multiply(BigInt(v.m));
    assert.equal(y.multiply(r).add(gm).toHex(), v.beta);
  }
});

test('the vector board verifies with its result', async () => {
  const report = await verifyBoard(clone(V.board.board));
  assert.deepEqual(report.result, V.board.result);
});

test('each vector tampering is named at its record', async () => {
  for (const c of V.tamper) {
    await assert.rejects(verifyBoard(apply(V.board.board, c)), (err) => { assert.equal(err.index, c.index, c.name); return true; });
  }
});

test('ballots made by ballot.js verify, count, and audit', async () => {
  const board = V.board.board;
  const election = ballotjs.electionFromBoard(board);
  const picks = [[[0, 1, 0], [1, 1, 0]], [[1, 0, 0], []], [[0, 0, 1], [0, 0, 1]]];
  picks[1][1] = [0, 0, 0];
  const cast = picks.map((choices, k) => ballotjs.encryptBallot(election, ballotjs.deriveCredential(election.id, V.board.codes[k]).secret, choices).ballot);
  const cut = board.records.findIndex((r) => r.kind === 'tally');
  const open = clone(board); open.records = open.records.slice(0, cut);
  for (const b of cast) open.records.push({ index: 0, kind: 'ballot', previous: '', payload: b, hash: '' });
  const report = await verifyBoard(rechain(open));
  assert.equal(report.counted, 3);
  const cred = ballotjs.deriveCredential(election.id, V.board.codes[2]);
  const audited = ballotjs.encryptBallot(election, cred.secret, [[1, 0, 0], [0, 1, 1]]);
  assert.deepEqual(ballotjs.checkOpening(election, audited.ballot, audited.opening), [[1, 0, 0], [0, 1, 1]]);
  const wrong = clone(audited.opening); [wrong[0][0], wrong[0][1]] = [wrong[0][1], wrong[0][0]];
  assert.throws(() => ballotjs.checkOpening(election, audited.ballot, wrong));
  assert.throws(() => ballotjs.encryptBallot(election, cred.secret, [[1, 1, 0], [0, 0, 0]]));
  if (process.env.JS_BALLOTS_OUT) {
    writeFileSync(process.env.JS_BALLOTS_OUT, JSON.stringify({ cast, audited: { ...audited, choices: [[1, 0, 0], [0, 1, 1]] } }));
  }
});

test('credential codes', () => {
  const code = ballotjs.newCredentialCode();
  assert.match(code, /^([a-km-np-z2-9]{5}-){5}[a-km-np-z2-9]$/);
  assert.equal(ballotjs.normalizeCode(code.toUpperCase().replaceAll('-', ' ')), code.replaceAll('-', ''));
  assert.throws(() => ballotjs.normalizeCode('l'.repeat(26)));
});
