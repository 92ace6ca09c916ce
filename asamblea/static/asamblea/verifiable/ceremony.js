// The trustees' side of a verifiable vote, run in each trustee's own browser: the key ceremony
// (t of n, Pedersen-style, Belenios specification section 4.8 "Threshold trustees"), the private
// channel that carries each share to its receiver (section 4.8.3 "Channels"), the check of every
// received share against the published coefficients with a complaint when one fails, the
// verification key with its proof, and at the end the partial decryptions with their proofs
// (section 4.21 "Partial decryptions"). An ES module with no build step, over ballot.js.
//
// Nothing secret is kept by the server or in the browser's storage: every secret of a trustee
// (the channel key and the polynomial) is derived from a trustee code shown once, and the key
// share is recomputed from the code and the encrypted shares the server keeps (it cannot read
// them). The Python counterparts that check what a trustee posts are in
// asamblea/verifiable/core/trustees.py and core/channel.py; the format is described in
// docs/verifiable-ballots.md ("The trustees' ceremony").

import { ristretto255 } from './vendor/noble-curves/ed25519.js';
import { sha256, sha512 } from './vendor/noble-hashes/sha2.js';
import { hashToScalar, newCredentialCode, normalizeCode, randomScalar } from './ballot.js';

const RP = ristretto255.Point;
const L = RP.Fn.ORDER;
const G = RP.BASE;
const enc = new TextEncoder();

const mod = (n) => ((n % L) + L) % L;
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function fromHex(h) {
  if (typeof h !== 'string' || !/^[0-9a-f]*$/.test(h) || h.length % 2) throw new Error('expected lowercase hex');
  return Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
}
function leInt(bytes) { let n = 0n; for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]); return n; }
function scalarBytes(k) { const b = new Uint8Array(32); let n = mod(k); for (let i = 0; i < 32; i++) { b[i] = Number(n & 0xffn); n >>= 8n; } return b; }
const scalarHex = (k) => toHex(scalarBytes(k));
function parseScalar(h) { const b = fromHex(h); if (b.length !== 32) throw new Error('a scalar is 32 bytes'); const k = leInt(b); if (k >= L) throw new Error('a scalar must be below the group order'); return k; }
function u32(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; }
const mul = (p, k) => (mod(k) === 0n ? RP.ZERO : p.multiply(mod(k)));
const base = (k) => mul(G, k);
/** A point from its hex encoding; decoding is the membership check (Belenios section 5). */
export function point(h) { const b = fromHex(h); if (b.length !== 32) throw new Error('a point is 32 bytes'); return RP.fromBytes(b); }

/** A new trustee code: the same shape as a credential code (26 characters, 130 bits). */
export const newTrusteeCode = newCredentialCode;

/**
 * A trustee's secrets for one ceremony, from its code: the channel key and the polynomial of
 * degree t - 1. `ceremony` is the string the server gives for this attempt of the ceremony (a
 * restarted ceremony has a new one, so no polynomial is ever used twice).
 */
export function deriveTrustee(ceremony, code, threshold) {
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error('the threshold is at least 1');
  const raw = enc.encode(normalizeCode(code));
  const id = enc.encode(ceremony);
  const nonZero = (k) => (k === 0n ? 1n : k);
  const channelSecret = nonZero(hashToScalar('trustee-channel', id, raw));
  const coefficients = [];
  for (let k = 0; k < threshold; k++) coefficients.push(nonZero(hashToScalar('trustee-coefficient', id, raw, u32(k))));
  return { channelSecret, channelPublic: base(channelSecret).toHex(), coefficients };
}

// Schnorr proof of knowledge of x with X = g^x in the context (responses s = w + c·x).
function schnorrProve(x, name, context) {
  const w = randomScalar();
  const a = base(w);
  const c = hashToScalar(name, ...context, a.toBytes());
  return { commitment: a.toHex(), response: scalarHex(w + c * x) };
}

function schnorrVerify(proof, pub, name, context) {
  const a = point(proof.commitment);
  const s = parseScalar(proof.response);
  const c = hashToScalar(name, ...context, a.toBytes());
  return base(s).equals(a.add(mul(pub, c)));
}

// Chaum-Pedersen: F = alpha^x for the x of Y = g^x (Y is in the context).
function dleqProve(x, alpha, f, name, context) {
  const w = randomScalar();
  const a = base(w); const b = mul(alpha, w);
  const c = hashToScalar(name, ...context, alpha.toBytes(), f.toBytes(), a.toBytes(), b.toBytes());
  return { commitment: [a.toHex(), b.toHex()], response: scalarHex(w + c * x) };
}

function dleqVerify(proof, pub, alpha, f, name, context) {
  const a = point(proof.commitment[0]); const b = point(proof.commitment[1]);
  const s = parseScalar(proof.response);
  const c = hashToScalar(name, ...context, alpha.toBytes(), f.toBytes(), a.toBytes(), b.toBytes());
  return base(s).equals(a.add(mul(pub, c))) && mul(alpha, s).equals(b.add(mul(f, c)));
}

/** f(x) for the coefficients a_0..a_(t-1). */
export function evaluate(coefficients, x) {
  let r = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) r = mod(r * BigInt(x) + coefficients[k]);
  return r;
}

/** The channel key, with a proof that the trustee knows its secret. */
export function channelKeyPayload(fingerprint, index, channelSecret) {
  const phi = fromHex(fingerprint);
  const pub = base(channelSecret);
  return { trustee: index, channel_key: pub.toHex(), proof: schnorrProve(channelSecret, 'channel-key', [phi, u32(index), pub.toBytes()]) };
}

/** The board's trustee_commitment: A_ik = g^a_ik, each with a proof of knowledge. */
export function commitmentPayload(fingerprint, index, coefficients) {
  const phi = fromHex(fingerprint);
  const exps = coefficients.map((a) => base(a));
  return {
    trustee: index,
    coefficients: exps.map((p) => p.toHex()),
    proofs: coefficients.map((a, k) => schnorrProve(a, 'coefficient', [phi, u32(index), u32(k), exps[k].toBytes()])),
  };
}

/** Check another trustee's commitment payload (the server checks it too). */
export function checkCommitment(fingerprint, index, threshold, payload) {
  const phi = fromHex(fingerprint);
  if (payload.trustee !== index || payload.coefficients.length !== threshold || payload.proofs.length !== threshold) return false;
  return payload.coefficients.every((h, k) => schnorrVerify(payload.proofs[k], point(h), 'coefficient', [phi, u32(index), u32(k), point(h).toBytes()]));
}

/** A short form of a channel key (hex) for trustees to compare out of band before sending
 * shares: SHA-256 over the length-prefixed tag "channel-fingerprint" and the key's 32 bytes,
 * the first 16 bytes as 8 groups of 4 hex digits (core/channel.py key_fingerprint). */
export function channelKeyFingerprint(channelKeyHex) {
  const parts = [enc.encode('asamblea-verifiable/1|channel-fingerprint'), point(channelKeyHex).toBytes()];
  const digest = sha256(concatBytes(...parts.flatMap((p) => [u32(p.length), p])));
  return toHex(digest.slice(0, 16)).match(/.{4}/g).join(' ');
}

export function checkChannelKey(fingerprint, index, payload) {
  const pub = point(payload.channel_key);
  return payload.trustee === index && schnorrVerify(payload.proof, pub, 'channel-key', [fromHex(fingerprint), u32(index), pub.toBytes()]);
}

// The one-time pad of a channel message: the first 32 bytes of SHA-512 over the length-prefixed
// parts (as in hashToScalar), binding the election, both ends, R and the shared point.
function pad(phi, sender, receiver, ephemeral, shared) {
  const parts = [enc.encode('asamblea-verifiable/1|channel-pad'), phi, u32(sender), u32(receiver), ephemeral.toBytes(), shared.toBytes()];
  return sha512(concatBytes(...parts.flatMap((p) => [u32(p.length), p]))).slice(0, 32);
}
function concatBytes(...arrs) { const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0)); let o = 0; for (const a of arrs) { out.set(a, o); o += a.length; } return out; }
const xor = (a, b) => a.map((v, i) => v ^ b[i]);

function messageContext(phi, m, senderPublic) {
  return [phi, u32(m.sender), u32(m.receiver), senderPublic.toBytes(), point(m.ephemeral).toBytes(), fromHex(m.ciphertext)];
}

/**
 * The share f_i(j) for trustee j, encrypted for j's channel key (hashed ElGamal: R = g^r, the pad
 * from H(R, Y_j^r)) and signed with the sender's channel key, so that the server, which carries
 * the message, can neither read it nor forge one in the sender's name.
 */
export function encryptShare(fingerprint, sender, senderSecret, receiver, receiverPublicHex, share) {
  const phi = fromHex(fingerprint);
  const r = randomScalar();
  const R = base(r);
  const shared = mul(point(receiverPublicHex), r);
  const m = { sender, receiver, ephemeral: R.toHex(), ciphertext: toHex(xor(scalarBytes(share), pad(phi, sender, receiver, R, shared))) };
  m.signature = schnorrProve(senderSecret, 'channel-signature', messageContext(phi, m, base(senderSecret)));
  return m;
}

/** The sender's signature on a channel message (the server checks it before keeping it). */
export function checkMessage(fingerprint, message, senderPublicHex) {
  const phi = fromHex(fingerprint);
  const pub = point(senderPublicHex);
  return fromHex(message.ciphertext).length === 32 && schnorrVerify(message.signature, pub, 'channel-signature', messageContext(phi, message, pub));
}

function openWith(phi, message, shared) {
  const raw = xor(fromHex(message.ciphertext), pad(phi, message.sender, message.receiver, point(message.ephemeral), shared));
  const s = leInt(raw);
  return s < L ? s : null;
}

/** The receiver opens a message: the share, or null if it is not a scalar. */
export function decryptShare(fingerprint, receiverSecret, message) {
  return openWith(fromHex(fingerprint), message, mul(point(message.ephemeral), receiverSecret));
}

/** g^f_i(j) = Π_k A_ik^(j^k), checked against the sender's published coefficients. */
export function checkShare(coefficientsHex, j, share) {
  let image = RP.ZERO; let power = 1n;
  for (const h of coefficientsHex) { image = image.add(mul(point(h), power)); power = mod(power * BigInt(j)); }
  return base(share).equals(image);
}

/**
 * A complaint by the receiver against the sender of a share that does not match the sender's
 * coefficients: the Diffie-Hellman value that opens the message, with a proof that it is the
 * right one, so anyone can open the message and see who is at fault (see core/channel.py).
 */
export function complaintPayload(fingerprint, receiverSecret, message) {
  const phi = fromHex(fingerprint);
  const R = point(message.ephemeral);
  const shared = mul(R, receiverSecret);
  const pub = base(receiverSecret);
  return {
    accuser: message.receiver,
    accused: message.sender,
    shared: shared.toHex(),
    proof: dleqProve(receiverSecret, R, shared, 'complaint', [phi, u32(message.receiver), u32(message.sender), pub.toBytes()]),
  };
}

/** Who is at fault in a complaint: the accused (a bad share) or the accuser (a false complaint). */
export function judgeComplaint(fingerprint, complaint, message, accuserPublicHex, accusedPublicHex, accusedCoefficientsHex) {
  const phi = fromHex(fingerprint);
  if (complaint.accuser !== message.receiver || complaint.accused !== message.sender) return complaint.accuser;
  if (!checkMessage(fingerprint, message, accusedPublicHex)) return complaint.accuser;
  const R = point(message.ephemeral); const shared = point(complaint.shared);
  if (!dleqVerify(complaint.proof, point(accuserPublicHex), R, shared, 'complaint', [phi, u32(message.receiver), u32(message.sender), point(accuserPublicHex).toBytes()])) return complaint.accuser;
  const share = openWith(phi, message, shared);
  return share !== null && checkShare(accusedCoefficientsHex, message.receiver, share) ? complaint.accuser : complaint.accused;
}

/**
 * Trustee j receives: opens every message addressed to it, checks each share against its
 * sender's coefficients, adds its own share. Returns { secret, complaints }: the key share
 * x_j = Σ_i f_i(j) when every share checks, else the complaints to post (secret is null).
 * `commitments` maps each trustee index to its coefficients (hex); `messages` are the messages
 * addressed to j.
 */
export function receiveShares(fingerprint, j, mine, commitments, messages) {
  let x = evaluate(mine.coefficients, j);
  const complaints = [];
  const seen = new Set();
  for (const m of messages) {
    if (m.receiver !== j || m.sender === j || seen.has(m.sender) || !commitments[m.sender]) continue;
    seen.add(m.sender);
    const s = decryptShare(fingerprint, mine.channelSecret, m);
    if (s === null || !checkShare(commitments[m.sender], j, s)) complaints.push(complaintPayload(fingerprint, mine.channelSecret, m));
    else x = mod(x + s);
  }
  const missing = Object.keys(commitments).map(Number).filter((i) => i !== j && !seen.has(i));
  if (missing.length) throw new Error(`shares missing from trustees ${missing.join(', ')}`);
  return { secret: complaints.length ? null : x, complaints };
}

/** The board's trustee_key: Y_j = g^x_j with a proof of knowledge. */
export function keyPayload(fingerprint, j, x) {
  const y = base(x);
  return { trustee: j, verification_key: y.toHex(), proof: schnorrProve(x, 'trustee-key', [fromHex(fingerprint), u32(j), y.toBytes()]) };
}

/** Y_j recomputed from every trustee's coefficients: Π_i Π_k A_ik^(j^k). */
export function expectedVerificationKey(commitments, j) {
  let y = RP.ZERO;
  for (const coefficients of Object.values(commitments)) {
    let power = 1n;
    for (const h of coefficients) { y = y.add(mul(point(h), power)); power = mod(power * BigInt(j)); }
  }
  return y.toHex();
}

/**
 * The board's partial_decryption by trustee j: for each question and answer of the tally
 * ([[ [alpha, beta], ... ], ...] in hex), F = alpha^x_j with a Chaum-Pedersen proof.
 */
export function partialDecryption(fingerprint, j, x, tally) {
  const phi = fromHex(fingerprint);
  const y = base(x).toBytes();
  return {
    trustee: j,
    factors: tally.map((question) => question.map(([alphaHex]) => {
      const alpha = point(alphaHex);
      const f = mul(alpha, x);
      return { factor: f.toHex(), proof: dleqProve(x, alpha, f, 'decryption', [phi, y]) };
    })),
  };
}

/** The trustee's secrets for one ceremony, and the answers to post, from its code. */
export function ceremonyStart(fingerprint, ceremony, index, threshold, code) {
  const mine = deriveTrustee(ceremony, code, threshold);
  return {
    mine,
    channelKey: channelKeyPayload(fingerprint, index, mine.channelSecret),
    commitment: commitmentPayload(fingerprint, index, mine.coefficients),
  };
}

/** The messages carrying f_i(j) to every other trustee j; `channelKeys` maps j to its key (hex). */
export function sharesFor(fingerprint, index, mine, channelKeys) {
  return Object.entries(channelKeys)
    .map(([j, key]) => [Number(j), key])
    .filter(([j]) => j !== index)
    .sort(([a], [b]) => a - b)
    .map(([j, key]) => encryptShare(fingerprint, index, mine.channelSecret, j, key, evaluate(mine.coefficients, j)));
}

/**
 * At the decryption, from the code again: the key share, checked against the verification key
 * published at the ceremony (a mistyped code is caught here, not on the board).
 */
export function recoverKeyShare(fingerprint, ceremony, index, threshold, code, commitments, messages, verificationKeyHex) {
  const mine = deriveTrustee(ceremony, code, threshold);
  const { secret } = receiveShares(fingerprint, index, mine, commitments, messages);
  if (secret === null || base(secret).toHex() !== verificationKeyHex) throw new Error('this code does not give this trustee\'s key');
  return secret;
}

export { scalarHex, parseScalar };
