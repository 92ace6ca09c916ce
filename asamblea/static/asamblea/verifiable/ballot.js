// Verifiable ballots in the browser: derive the voter's credential, encrypt and prove a ballot,
// open it again for cast-or-audit. An ES module with no build step; group arithmetic from the
// vendored @noble/curves (ristretto255) and hashes from @noble/hashes (see vendor/README.md).
// The format is "asamblea-verifiable/1", described in docs/verifiable-ballots.md; the choices
// follow Belenios' specification (sections 4.10 "Credentials", 4.13 "Encrypted answers",
// 4.14 "Proofs of interval membership", 4.18 "Ballots").
//
//   import { electionFromBoard, deriveCredential, encryptBallot } from '.../ballot.js';
//   const election = electionFromBoard(board);             // or the same fields from the page
//   const cred = deriveCredential(election.id, code);      // the code the voter was shown once
//   const { ballot, opening, tracker } = encryptBallot(election, cred.secret, [[1, 0, 0]]);
//
// Keep `opening` only to audit this ballot (then throw the ballot away); never send it with a
// ballot that is cast.

import { ristretto255 } from './vendor/noble-curves/ed25519.js';
import { sha256, sha512 } from './vendor/noble-hashes/sha2.js';

const PROTOCOL = 'asamblea-verifiable/1';
const RP = ristretto255.Point;
const L = RP.Fn.ORDER;
const G = RP.BASE;
const SUM = 0xffffffff;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const enc = new TextEncoder();

const mod = (n) => ((n % L) + L) % L;
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
function leInt(bytes) { let n = 0n; for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]); return n; }
function scalarHex(k) { const b = new Uint8Array(32); let n = mod(k); for (let i = 0; i < 32; i++) { b[i] = Number(n & 0xffn); n >>= 8n; } return toHex(b); }
function u32(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; }
function concat(...arrs) { const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0)); let o = 0; for (const a of arrs) { out.set(a, o); o += a.length; } return out; }
const mul = (p, k) => (mod(k) === 0n ? RP.ZERO : p.multiply(mod(k)));

/** SHA-512 over the tag and each part, each preceded by its length (4 bytes, big-endian), mod L. */
export function hashToScalar(name, ...parts) {
  const chunks = [];
  for (const p of [enc.encode(`${PROTOCOL}|${name}`), ...parts]) chunks.push(u32(p.length), p);
  return leInt(sha512(concat(...chunks))) % L;
}

/** Canonical JSON: sorted keys, no spaces, characters outside printable ASCII as \uXXXX. */
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v === null || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') { if (!Number.isSafeInteger(v)) throw new Error('only integers of at most 2^53 - 1'); return String(v); }
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{${Object.keys(v).sort().map((k) => `${canonical(k)}:${canonical(v[k])}`).join(',')}}`;
}

/** A uniformly random non-zero scalar from the browser's generator (64 bytes reduced mod L). */
export function randomScalar() {
  for (;;) {
    const k = leInt(crypto.getRandomValues(new Uint8Array(64))) % L;
    if (k !== 0n) return k;
  }
}

/** A new credential code: 26 characters (130 bits), in groups of five for reading aloud. */
export function newCredentialCode() {
  const raw = Array.from(crypto.getRandomValues(new Uint8Array(26)), (b) => ALPHABET[b & 31]).join('');
  return raw.match(/.{1,5}/g).join('-');
}

export function normalizeCode(code) {
  const raw = code.trim().toLowerCase().replace(/[- ]/g, '');
  if (raw.length !== 26 || [...raw].some((c) => !ALPHABET.includes(c))) throw new Error('not a credential code');
  return raw;
}

/** The credential's secret exponent and its public part (hex) for an election and a code. */
export function deriveCredential(electionId, code) {
  let x = hashToScalar('credential', enc.encode(electionId), enc.encode(normalizeCode(code)));
  if (x === 0n) x = 1n;
  return { secret: x, public: G.multiply(x).toHex() };
}

/** What a ballot is made against, read from a board (manifest, election key). */
export function electionFromBoard(board) {
  const manifest = board.records.find((r) => r.kind === 'manifest');
  const key = board.records.find((r) => r.kind === 'election_key');
  return {
    id: manifest.payload.election,
    fingerprint: manifest.hash,
    publicKey: key.payload.public_key,
    questions: manifest.payload.questions.map((q) => ({ answers: q.answers.length, min: q.min, max: q.max })),
  };
}

function encrypt(y, m) {
  const r = randomScalar();
  return { alpha: G.multiply(r), beta: y.multiply(r).add(mul(G, BigInt(m))), r };
}

// Disjunctive Chaum-Pedersen proof that (alpha, beta) encrypts allowed[real] (section 4.14).
function intervalProve(y, alpha, beta, r, real, allowed, ctx) {
  const commitments = []; const challenges = []; const responses = [];
  const w = randomScalar();
  allowed.forEach((m, j) => {
    if (j === real) { commitments.push([G.multiply(w), y.multiply(w)]); challenges.push(0n); responses.push(0n); return; }
    const c = randomScalar(); const s = randomScalar();
    commitments.push([G.multiply(s).subtract(alpha.multiply(c)), y.multiply(s).subtract(mul(beta.subtract(mul(G, BigInt(m))), c))]);
    challenges.push(c); responses.push(s);
  });
  const flat = concat(...commitments.flatMap(([a, b]) => [a.toBytes(), b.toBytes()]));
  const total = hashToScalar('iproof', ...ctx, alpha.toBytes(), beta.toBytes(), flat);
  challenges[real] = mod(total - challenges.reduce((x, z) => x + z, 0n));
  responses[real] = mod(w + challenges[real] * r);
  return {
    commitments: commitments.map(([a, b]) => [a.toHex(), b.toHex()]),
    challenges: challenges.map(scalarHex),
    responses: responses.map(scalarHex),
  };
}

/**
 * Encrypt `choices` (per question, a 0 or 1 per answer) with proofs, signed with the credential.
 * Returns { ballot, opening, tracker }.
 */
export function encryptBallot(election, credentialSecret, choices) {
  const y = RP.fromHex(election.publicKey);
  const phi = fromHex(election.fingerprint);
  const cred = G.multiply(credentialSecret);
  if (choices.length !== election.questions.length) throw new Error('one list of choices per question');
  const answers = []; const opening = [];
  election.questions.forEach((question, q) => {
    const picked = choices[q];
    const count = picked.reduce((a, b) => a + b, 0);
    if (picked.length !== question.answers || picked.some((v) => v !== 0 && v !== 1)) throw new Error('each answer is chosen (1) or not (0)');
    if (count < question.min || count > question.max) throw new Error('the number of chosen answers is out of range');
    const cts = picked.map((m) => encrypt(y, m));
    const flat = concat(...cts.flatMap((c) => [c.alpha.toBytes(), c.beta.toBytes()]));
    const ctx = (e) => [phi, y.toBytes(), cred.toBytes(), u32(q), u32(e), flat];
    const proofs = cts.map((c, e) => intervalProve(y, c.alpha, c.beta, c.r, picked[e], [0, 1], ctx(e)));
    const sa = cts.reduce((acc, c) => acc.add(c.alpha), RP.ZERO);
    const sb = cts.reduce((acc, c) => acc.add(c.beta), RP.ZERO);
    const allowed = []; for (let m = question.min; m <= question.max; m++) allowed.push(m);
    const sumR = mod(cts.reduce((acc, c) => acc + c.r, 0n));
    const sumProof = intervalProve(y, sa, sb, sumR, count - question.min, allowed, ctx(SUM));
    answers.push({ choices: cts.map((c) => [c.alpha.toHex(), c.beta.toHex()]), proofs, sum_proof: sumProof });
    opening.push(cts.map((c) => scalarHex(c.r)));
  });
  const w = randomScalar();
  const a = G.multiply(w);
  const digest = sha256(enc.encode(canonical(answers)));
  const c = hashToScalar('signature', phi, cred.toBytes(), digest, a.toBytes());
  const ballot = {
    election: election.fingerprint,
    credential: cred.toHex(),
    answers,
    signature: { commitment: a.toHex(), response: scalarHex(w + c * credentialSecret) },
  };
  return { ballot, opening, tracker: toHex(sha256(enc.encode(canonical(ballot)))) };
}

/** Cast-or-audit: check that `opening` opens `ballot`; return the choices it encrypts. */
export function checkOpening(election, ballot, opening) {
  const y = RP.fromHex(election.publicKey);
  return ballot.answers.map((answer, q) => answer.choices.map(([a, b], e) => {
    const r = leInt(fromHex(opening[q][e]));
    if (r >= L || !RP.fromHex(a).equals(mul(G, r))) throw new Error('the opening does not match the ballot');
    const gm = RP.fromHex(b).subtract(mul(y, r));
    if (gm.equals(RP.ZERO)) return 0;
    if (gm.equals(G)) return 1;
    throw new Error('the ballot encrypts neither 0 nor 1');
  }));
}
