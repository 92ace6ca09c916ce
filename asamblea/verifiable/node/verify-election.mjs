// An independent verifier of "asamblea-verifiable/1" bulletin boards, in JavaScript for Node.
//
//   node asamblea/verifiable/node/verify-election.mjs BOARD.json... [--workers N] [--json]
//
// Written from the format's description in docs/verifiable-ballots.md; it shares no code with the
// Python side (group arithmetic comes from @noble/curves' ristretto255, vendored under
// asamblea/static/asamblea/verifiable/vendor with its version and hashes). Ballot proofs are
// checked in batches: every verification equation is multiplied by a fresh random 128-bit
// coefficient and all are summed into one multi-scalar multiplication (Pippenger), which is the
// identity if every equation holds and, otherwise, is not except with probability about 2^-128.
// When a batch fails, its ballots are checked one by one to name the first that fails.
// Exit code 0: the board verifies; 1: a record fails (named on stdout); 2: unreadable input.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { randomBytes, createHash } from 'node:crypto';
import { ristretto255 } from '../../static/asamblea/verifiable/vendor/noble-curves/ed25519.js';
import { pippenger } from '../../static/asamblea/verifiable/vendor/noble-curves/abstract/curve.js';

const FORMAT = 'asamblea-verifiable/1';
const RP = ristretto255.Point;
const EP = RP.BASE.ep.constructor;
const L = RP.Fn.ORDER;
const G = RP.BASE;
const SUM = 0xffffffff;
const KINDS = ['manifest', 'trustee_commitment', 'trustee_key', 'election_key', 'credentials',
  'ballot', 'tally', 'partial_decryption', 'result',
  // a consultation's board, after the election key (see Checker.consultation)
  'consultation', 'assembly_tally', 'aggregates'];
const RULES = ['head_count', 'majority_of_bodies', 'weighted'];
const MAJORITIES = ['simple', 'absolute', 'two_thirds'];

class Bad extends Error {}
class Invalid extends Error {
  constructor(index, kind, reason) {
    super(`record ${index} (${kind}): ${reason}`);
    Object.assign(this, { index, kind, reason });
  }
}

// --- encodings ---------------------------------------------------------------------------------
const enc = new TextEncoder();
const mod = (n) => ((n % L) + L) % L;
const sha = (alg, ...chunks) => { const h = createHash(alg); for (const c of chunks) h.update(c); return new Uint8Array(h.digest()); };
function u32(n) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; }
function leInt(bytes) { let n = 0n; for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]); return n; }
function challenge(name, ...parts) {
  const chunks = [];
  for (const p of [enc.encode(`${FORMAT}|${name}`), ...parts]) chunks.push(u32(p.length), p);
  return leInt(sha('sha512', ...chunks)) % L;
}
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v === null || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') { if (!Number.isSafeInteger(v)) throw new Bad('numbers must be integers of at most 2^53 - 1'); return String(v); }
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{${Object.keys(v).sort().map((k) => `${canonical(k)}:${canonical(v[k])}`).join(',')}}`;
}
const hex = (b) => Buffer.from(b).toString('hex');
function hex32(v, what) {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new Bad(`${what} is not 64 lowercase hex digits`);
  return Uint8Array.from(Buffer.from(v, 'hex'));
}
function pt(v, what) {
  const raw = hex32(v, what);
  try { return { p: RP.fromBytes(raw), raw }; } catch { throw new Bad(`${what} is not a group element`); }
}
function sc(v, what) { const k = leInt(hex32(v, what)); if (k >= L) throw new Bad(`${what} is not a canonical scalar`); return k; }
function keys(v, names, what) {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).sort().join() !== [...names].sort().join()) throw new Bad(`${what} must have exactly the fields ${[...names].sort().join(', ')}`);
  return v;
}
function list(v, n, what) { if (!Array.isArray(v) || (n !== undefined && v.length !== n)) throw new Bad(`${what} must be a list${n === undefined ? '' : ` of ${n}`}`); return v; }
function int(v, what, low = 0) { if (!Number.isSafeInteger(v) || v < low) throw new Bad(`${what} must be an integer of at least ${low}`); return v; }
const mul = (p, k) => (mod(k) === 0n ? RP.ZERO : p.multiplyUnsafe(mod(k)));
const concat = (...arrs) => { const out = new Uint8Array(arrs.reduce((n, a) => n + a.length, 0)); let o = 0; for (const a of arrs) { out.set(a, o); o += a.length; } return out; };

// --- batch of equations: Σ scalar·point = identity ----------------------------------------------
class Batch {
  constructor(y) { this.y = y; this.g = 0n; this.yc = 0n; this.points = []; this.scalars = []; }
  term(p, k) { this.points.push(p.ep); this.scalars.push(mod(k)); }
  ok() {
    const pts = [...this.points, G.ep, this.y.ep];
    const scs = [...this.scalars, mod(this.g), mod(this.yc)];
    return new RP(pippenger(EP, pts, scs)).is0();
  }
}
const rnd = () => leInt(randomBytes(16));

// g^s = A·X^c, batched with a random z.
function schnorrTerms(batch, proof, X, name, ctx, what) {
  const p = keys(proof, ['commitment', 'response'], what);
  const A = pt(p.commitment, `${what}'s commitment`);
  const s = sc(p.response, `${what}'s response`);
  const c = challenge(name, ...ctx, A.raw);
  const z = rnd();
  batch.g += z * s; batch.term(A.p, -z); batch.term(X, -z * c);
}

// Interval proof: for each branch j, g^s_j = A_j·α^c_j and y^s_j = B_j·(β/g^M_j)^c_j.
// Returns the coefficients to put on α and β (the caller adds them to the ciphertext's points).
function intervalTerms(batch, proof, alphaRaw, betaRaw, allowed, ctx, what) {
  const p = keys(proof, ['commitments', 'challenges', 'responses'], what);
  const n = allowed.length;
  const pairs = list(p.commitments, n, what).map((x) => list(x, 2, `${what}'s commitment`).map((q) => pt(q, `${what}'s commitment`)));
  const cs = list(p.challenges, n, what).map((c) => sc(c, `${what}'s challenge`));
  const ss = list(p.responses, n, what).map((s) => sc(s, `${what}'s response`));
  const h = challenge('iproof', ...ctx, alphaRaw, betaRaw, concat(...pairs.flatMap(([a, b]) => [a.raw, b.raw])));
  if (cs.reduce((x, y) => x + y, 0n) % L !== h) throw new Bad(`${what}: its challenges do not add up to its hash`);
  let ka = 0n; let kb = 0n;
  for (let j = 0; j < n; j++) {
    const z1 = rnd(); const z2 = rnd();
    batch.g += z1 * ss[j]; batch.term(pairs[j][0].p, -z1); ka -= z1 * cs[j];
    batch.yc += z2 * ss[j]; batch.term(pairs[j][1].p, -z2); kb -= z2 * cs[j]; batch.g += z2 * cs[j] * BigInt(allowed[j]);
  }
  return [ka, kb];
}

function ballotTerms(batch, ctx, payload) {
  const p = keys(payload, ['election', 'credential', 'answers', 'signature'], 'the ballot');
  if (p.election !== ctx.phiHex) throw new Bad('the ballot is for another election');
  if (!Object.hasOwn(ctx.weights, p.credential)) throw new Bad("the ballot's credential is not in the list of credentials");
  const cred = pt(p.credential, 'the credential');
  const answers = list(p.answers, ctx.questions.length, 'the answers');
  const out = [];
  ctx.questions.forEach(([n, lo, hi], q) => {
    const a = keys(answers[q], ['choices', 'proofs', 'sum_proof'], `answer ${q + 1}`);
    const cts = list(a.choices, n, 'choices').map((c) => list(c, 2, 'a ciphertext').map((x) => pt(x, `a ciphertext of question ${q + 1}`)));
    const flat = concat(...cts.flatMap(([x, y]) => [x.raw, y.raw]));
    const proofs = list(a.proofs, n, `the proofs of question ${q + 1}`);
    const coef = cts.map(() => [0n, 0n]);
    cts.forEach(([al, be], e) => {
      const ctxE = [ctx.phi, ctx.yRaw, cred.raw, u32(q), u32(e), flat];
      const [ka, kb] = intervalTerms(batch, proofs[e], al.raw, be.raw, [0, 1], ctxE, `the proof of question ${q + 1}, answer ${e + 1}`);
      coef[e][0] += ka; coef[e][1] += kb;
    });
    let sa = RP.ZERO; let sb = RP.ZERO;
    for (const [x, y] of cts) { sa = sa.add(x.p); sb = sb.add(y.p); }
    const allowed = []; for (let m = lo; m <= hi; m++) allowed.push(m);
    const ctxS = [ctx.phi, ctx.yRaw, cred.raw, u32(q), u32(SUM), flat];
    const [ka, kb] = intervalTerms(batch, a.sum_proof, sa.toBytes(), sb.toBytes(), allowed, ctxS, `the proof on the number of answers chosen in question ${q + 1}`);
    cts.forEach(([x, y], e) => { batch.term(x.p, coef[e][0] + ka); batch.term(y.p, coef[e][1] + kb); });
    out.push(cts.map(([x, y]) => [x.p, y.p]));
  });
  const digest = sha('sha256', enc.encode(canonical(answers)));
  schnorrTerms(batch, p.signature, cred.p, 'signature', [ctx.phi, cred.raw, digest], 'the signature');
  return out;
}

// Verify ballots [index, payload, counted] in order; return the first failure and the weighted sum.
function checkBallots(ctx, items) {
  const y = RP.fromHex(ctx.yHex);
  const batch = new Batch(y);
  const parsed = [];
  for (const [index, payload, counted] of items) {
    try {
      parsed.push([index, ballotTerms(batch, ctx, payload), counted, payload]);
    } catch (err) {
      return { failure: [index, err instanceof Bad ? err.message : 'malformed ballot'] };
    }
  }
  if (!batch.ok()) {
    for (const [index, , , payload] of parsed) {
      const one = new Batch(y);
      ballotTerms(one, ctx, payload);
      if (!one.ok()) return { failure: [index, 'a proof or the signature of the ballot does not verify'] };
    }
  }
  let total = null;
  for (const [, cts, counted, payload] of parsed) {
    if (!counted) continue;
    const w = BigInt(ctx.weights[payload.credential]);
    const row = cts.map((r) => r.map(([a, b]) => (w === 1n ? [a, b] : [mul(a, w), mul(b, w)])));
    total = total === null ? row : total.map((r, q) => r.map(([a, b], e) => [a.add(row[q][e][0]), b.add(row[q][e][1])]));
  }
  return { total: total && total.map((r) => r.map(([a, b]) => [a.toHex(), b.toHex()])) };
}

if (!isMainThread) {
  parentPort.postMessage(checkBallots(workerData.ctx, workerData.items));
}

// --- the board ---------------------------------------------------------------------------------
function chainBreak(records) {
  let previous = '0'.repeat(64);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object' || Object.keys(r).sort().join() !== 'hash,index,kind,payload,previous') return i;
    if (r.index !== i || r.previous !== previous || !KINDS.includes(r.kind)) return i;
    let body;
    try { body = canonical({ index: r.index, kind: r.kind, previous: r.previous, payload: r.payload }); } catch { return i; }
    if (hex(sha('sha256', enc.encode(body))) !== r.hash) return i;
    previous = r.hash;
  }
  return null;
}

function runWorker(ctx, items) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { ctx, items } });
    w.once('message', resolve); w.once('error', reject);
  });
}

export async function verifyBoard(board, workers = 1) {
  if (board === null || typeof board !== 'object' || board.board !== FORMAT || !Array.isArray(board.records) || !board.records.length) throw new Invalid(0, 'board', `not an ${FORMAT} board`);
  const broken = chainBreak(board.records);
  const records = broken === null ? board.records : board.records.slice(0, broken);
  const report = records.length ? await new Checker(records, workers, board.assemblies).run() : null;
  if (broken !== null) throw new Invalid(broken, String(board.records[broken]?.kind), 'its link to the previous record or its own hash is wrong');
  return report;
}

class Checker {
  constructor(records, workers, assemblies) { this.records = records; this.workers = workers; this.pos = 0; this.assemblies = assemblies; }
  expect(kind) {
    if (this.pos >= this.records.length) return null;
    const r = this.records[this.pos];
    if (r.kind !== kind) throw new Invalid(this.pos, r.kind, `a ${kind} record was expected here`);
    this.pos += 1;
    return [this.pos - 1, r.payload];
  }
  check(index, fn) {
    try { return fn(); } catch (err) {
      if (err instanceof Invalid) throw err;
      throw new Invalid(index, this.records[index].kind, err instanceof Bad ? err.message : 'malformed record');
    }
  }
  leftover(what) {
    if (this.pos < this.records.length) throw new Invalid(this.pos, this.records[this.pos].kind, what);
  }
  async run() {
    const report = { records: this.records.length, head: this.records.at(-1).hash, phase: 'key ceremony', ballots: 0, counted: 0, total_weight: 0, result: null };
    const [i0, manifest] = this.expect('manifest');
    this.phiHex = this.records[0].hash; this.phi = Uint8Array.from(Buffer.from(this.phiHex, 'hex'));
    this.check(i0, () => this.manifest(manifest));
    if (!this.trustees()) return report;
    if (this.pos < this.records.length && this.records[this.pos].kind === 'consultation') return this.consultation(report);
    report.phase = 'credentials';
    const cr = this.expect('credentials');
    if (!cr) return report;
    this.check(cr[0], () => this.credentials(cr[1]));
    const ballots = [];
    while (this.pos < this.records.length && this.records[this.pos].kind === 'ballot') { ballots.push([this.pos, this.records[this.pos].payload]); this.pos += 1; }
    const { counted, total } = await this.ballots(ballots);
    Object.assign(report, { phase: 'voting', ballots: ballots.length, counted: counted.length, total_weight: counted.reduce((n, [, p]) => n + this.weights[p.credential], 0) });
    const ta = this.expect('tally');
    if (!ta) { this.leftover('a ballot or the tally was expected here'); return report; }
    this.check(ta[0], () => this.tally(ta[1], total, report));
    this.tallyCts = total;
    const partials = new Map();
    while (this.pos < this.records.length && this.records[this.pos].kind === 'partial_decryption') {
      const index = this.pos; this.pos += 1;
      this.check(index, () => this.partial(this.records[index].payload, partials));
    }
    report.phase = 'tally';
    const re = this.expect('result');
    if (!re) { this.leftover('a partial decryption or the result was expected'); return report; }
    report.result = this.check(re[0], () => this.result(re[1], partials, report.total_weight));
    this.leftover('nothing may follow the result');
    report.phase = 'result';
    return report;
  }
  manifest(payload) {
    const m = keys(payload, ['protocol', 'group', 'election', 'title', 'questions', 'trustees'], 'the manifest');
    if (m.protocol !== FORMAT || m.group !== 'ristretto255') throw new Bad(`the manifest must name ${FORMAT} over ristretto255`);
    if (typeof m.election !== 'string' || typeof m.title !== 'string') throw new Bad("the manifest's election id and title must be text");
    this.questions = list(m.questions, undefined, 'the questions').map((q) => {
      keys(q, ['text', 'answers', 'min', 'max'], 'a question');
      const answers = list(q.answers, undefined, "a question's answers");
      if (!answers.length || !answers.every((a) => typeof a === 'string')) throw new Bad('a question needs answers, as text');
      const lo = int(q.min, 'min'); const hi = int(q.max, 'max');
      if (lo > hi || hi > answers.length) throw new Bad("a question's min and max are out of range");
      return [answers.length, lo, hi];
    });
    if (!this.questions.length) throw new Bad('the manifest has no question');
    const t = keys(m.trustees, ['count', 'threshold'], 'the trustees');
    this.n = int(t.count, 'the number of trustees', 1); this.t = int(t.threshold, 'the threshold', 1);
    if (this.t > this.n) throw new Bad('the threshold is larger than the number of trustees');
  }
  direct(proof, X, name, ctx, what) {
    const p = keys(proof, ['commitment', 'response'], what);
    const A = pt(p.commitment, `${what}'s commitment`); const s = sc(p.response, `${what}'s response`);
    const c = challenge(name, ...ctx, A.raw);
    if (!mul(G, s).equals(A.p.add(mul(X, c)))) throw new Bad(`${what} does not verify`);
  }
  trustees() {
    this.coefs = [];
    for (let i = 1; i <= this.n; i++) {
      const got = this.expect('trustee_commitment'); if (!got) return false;
      this.check(got[0], () => {
        const p = keys(got[1], ['trustee', 'coefficients', 'proofs'], 'the commitment');
        if (p.trustee !== i) throw new Bad(`trustee ${i}'s commitment was expected here`);
        const exps = list(p.coefficients, this.t, 'coefficients').map((a) => pt(a, 'a coefficient'));
        const proofs = list(p.proofs, this.t, 'proofs');
        exps.forEach((a, k) => this.direct(proofs[k], a.p, 'coefficient', [this.phi, u32(i), u32(k), a.raw], `the proof of coefficient ${k}`));
        this.coefs.push(exps.map((a) => a.p));
      });
    }
    this.vks = new Map();
    for (let j = 1; j <= this.n; j++) {
      const got = this.expect('trustee_key'); if (!got) return false;
      this.check(got[0], () => {
        const p = keys(got[1], ['trustee', 'verification_key', 'proof'], 'the trustee key');
        if (p.trustee !== j) throw new Bad(`trustee ${j}'s key was expected here`);
        const vk = pt(p.verification_key, 'the verification key');
        let expected = RP.ZERO;
        for (const exps of this.coefs) { let power = 1n; for (const a of exps) { expected = expected.add(mul(a, power)); power = (power * BigInt(j)) % L; } }
        if (!vk.p.equals(expected)) throw new Bad("the verification key does not follow from the trustees' coefficients");
        this.direct(p.proof, vk.p, 'trustee-key', [this.phi, u32(j), vk.raw], "the key's proof");
        this.vks.set(j, vk.p);
      });
    }
    const got = this.expect('election_key'); if (!got) return false;
    this.check(got[0], () => {
      const p = keys(got[1], ['public_key', 'verification_keys'], 'the election key');
      let y = RP.ZERO; for (const exps of this.coefs) y = y.add(exps[0]);
      if (p.public_key !== y.toHex()) throw new Bad("the election key is not the product of the trustees' first coefficients");
      if (canonical(p.verification_keys) !== canonical([...this.vks.values()].map((v) => v.toHex()))) throw new Bad("the verification keys differ from the trustees' keys");
      this.y = y;
    });
    return true;
  }
  credentials(payload) {
    const p = keys(payload, ['credentials'], 'the credentials');
    this.weights = Object.create(null);
    let previous = '';
    for (const c of list(p.credentials, undefined, 'the credentials')) {
      keys(c, ['credential', 'weight'], 'a credential');
      pt(c.credential, 'a credential');
      if (!(c.credential > previous)) throw new Bad('the credentials must be distinct and sorted');
      previous = c.credential;
      this.weights[c.credential] = int(c.weight, 'a weight', 1);
    }
  }
  async ballots(ballots) {
    const last = new Map();
    for (const [i, p] of ballots) if (p && typeof p.credential === 'string') last.set(p.credential, i);
    const work = ballots.map(([i, p]) => [i, p, Boolean(p && last.get(p.credential) === i)]);
    const ctx = { phiHex: this.phiHex, phi: this.phi, yHex: this.y.toHex(), yRaw: this.y.toBytes(), questions: this.questions, weights: this.weights };
    const parts = this.workers > 1 && work.length > 200 ? this.workers : 1;
    const size = Math.ceil(work.length / parts) || 1;
    const slices = []; for (let k = 0; k < work.length; k += size) slices.push(work.slice(k, k + size));
    const results = parts > 1 ? await Promise.all(slices.map((s) => runWorker(ctx, s))) : slices.map((s) => checkBallots(ctx, s));
    const failures = results.filter((r) => r.failure).map((r) => r.failure).sort((a, b) => a[0] - b[0]);
    if (failures.length) throw new Invalid(failures[0][0], 'ballot', failures[0][1]);
    let total = this.questions.map(([n]) => Array.from({ length: n }, () => [RP.ZERO, RP.ZERO]));
    for (const r of results) if (r.total) total = total.map((row, q) => row.map(([a, b], e) => [a.add(RP.fromHex(r.total[q][e][0])), b.add(RP.fromHex(r.total[q][e][1]))]));
    return { counted: work.filter(([, , c]) => c).map(([i, p]) => [i, p]), total };
  }
  tally(payload, total, report) {
    const p = keys(payload, ['ballots', 'total_weight', 'ciphertexts'], 'the tally');
    if (p.ballots !== report.counted) throw new Bad(`the tally counts ${p.ballots} ballots; the board has ${report.counted}`);
    if (p.total_weight !== report.total_weight) throw new Bad("the tally's total weight differs from the counted ballots' weights");
    const expected = total.map((row) => row.map(([a, b]) => [a.toHex(), b.toHex()]));
    if (canonical(p.ciphertexts) !== canonical(expected)) throw new Bad('the encrypted tally is not the product of the counted ballots');
  }
  partial(payload, partials) {
    const p = keys(payload, ['trustee', 'factors'], 'the partial decryption');
    if (!this.vks.has(p.trustee) || partials.has(p.trustee)) throw new Bad('a partial decryption from an unknown trustee, or a second one');
    const Y = this.vks.get(p.trustee);
    const rows = list(p.factors, this.tallyCts.length, 'the factors');
    partials.set(p.trustee, rows.map((row, q) => list(row, this.tallyCts[q].length, 'factors').map((f, e) => {
      keys(f, ['factor', 'proof'], 'a factor');
      const F = pt(f.factor, 'a decryption factor');
      const alpha = this.tallyCts[q][e][0];
      const what = `the decryption proof of question ${q + 1}, answer ${e + 1}`;
      const pr = keys(f.proof, ['commitment', 'response'], what);
      const [A, B] = list(pr.commitment, 2, what).map((x) => pt(x, `${what}'s commitment`));
      const s = sc(pr.response, `${what}'s response`);
      const c = challenge('decryption', this.phi, Y.toBytes(), alpha.toBytes(), F.raw, A.raw, B.raw);
      if (!mul(G, s).equals(A.p.add(mul(Y, c))) || !mul(alpha, s).equals(B.p.add(mul(F.p, c)))) throw new Bad(`${what} does not verify`);
      return F.p;
    })));
  }
  result(payload, partials, total) {
    const p = keys(payload, this.outcomeKeys ? ['trustees', 'counts', 'outcome'] : ['trustees', 'counts'], 'the result');
    const used = list(p.trustees, undefined, "the result's trustees");
    if (new Set(used).size !== used.length || used.length < this.t || !used.every((j) => partials.has(j))) throw new Bad('the result must use at least the threshold of published decryptions');
    const inv = (a) => { let [r0, r1, s0, s1] = [mod(a), L, 1n, 0n]; while (r1) { const q = r0 / r1; [r0, r1] = [r1, r0 - q * r1]; [s0, s1] = [s1, s0 - q * s1]; } return mod(s0); };
    const lam = new Map(used.map((j) => {
      let num = 1n; let den = 1n;
      for (const k of used) if (k !== j) { num = mod(num * BigInt(k)); den = mod(den * BigInt(k - j)); }
      return [j, mod(num * inv(den))];
    }));
    const counts = list(p.counts, this.tallyCts.length, 'the counts');
    counts.forEach((row, q) => list(row, this.tallyCts[q].length, 'counts').forEach((n, e) => {
      int(n, 'a count');
      if (n > total) throw new Bad('a count is larger than the total weight');
      let F = RP.ZERO; for (const j of used) F = F.add(mul(partials.get(j)[q][e], lam.get(j)));
      if (!mul(G, BigInt(n)).add(F).equals(this.tallyCts[q][e][1])) throw new Bad(`the count of question ${q + 1}, answer ${e + 1} is not the tally's`);
    }));
    return counts;
  }

  // --- a consultation's board: the consultation (rule, frozen assemblies), each assembly's tally
  // checked against its own board (in the file under "assemblies"), their products, the partial
  // decryptions of these aggregates only, and the result with the rule's count recomputed.
  async consultation(report) {
    const [ic, pc] = this.expect('consultation');
    this.keyIndex = ic - 1;
    this.check(ic, () => this.consultationRecord(pc));
    report.phase = 'voting';
    this.tallies = new Map(); this.seen = new Set(); this.extraWeight = new Map(); this.bound = 0;
    while (this.pos < this.records.length && this.records[this.pos].kind === 'assembly_tally') {
      const index = this.pos; this.pos += 1;
      let own;
      try { own = await this.ownBoard(this.records[index].payload); } catch (err) {
        if (err instanceof Invalid) throw err;
        throw new Invalid(index, 'assembly_tally', err instanceof Bad ? err.message : 'malformed record');
      }
      this.check(index, () => this.assemblyTally(this.records[index].payload, own, report));
    }
    const ag = this.expect('aggregates');
    if (!ag) { this.leftover('an assembly tally or the aggregates were expected here'); return report; }
    this.check(ag[0], () => this.aggregates(ag[1]));
    report.groups = ag[1].groups.map((g) => [g.group, g.key]);
    const partials = new Map();
    while (this.pos < this.records.length && this.records[this.pos].kind === 'partial_decryption') {
      const index = this.pos; this.pos += 1;
      this.check(index, () => this.partial(this.records[index].payload, partials));
    }
    report.phase = 'tally';
    const re = this.expect('result');
    if (!re) { this.leftover('a partial decryption or the result was expected'); return report; }
    this.outcomeKeys = true;
    report.result = this.check(re[0], () => this.result(re[1], partials, this.bound));
    report.outcome = this.check(re[0], () => this.outcome(re[1].outcome, report.result));
    report.not_counted = this.notCounted;
    this.leftover('nothing may follow the result');
    report.phase = 'result';
    return report;
  }
  consultationRecord(payload) {
    const p = keys(payload, ['consultation', 'rule', 'quorum_percent', 'majority', 'assemblies'], 'the consultation');
    int(p.consultation, "the consultation's id");
    if (!RULES.includes(p.rule) || !MAJORITIES.includes(p.majority)) throw new Bad('unknown rule or majority');
    if (int(p.quorum_percent, 'the quorum') > 100) throw new Bad('the quorum is a percentage');
    this.consulted = new Map();
    let previous = 0;
    for (const a of list(p.assemblies, undefined, 'the assemblies')) {
      keys(a, ['assembly', 'member_of', 'electorate', 'weight', 'sectors', 'region'], 'an assembly');
      const id = int(a.assembly, "an assembly's id", 1);
      if (id <= previous) throw new Bad('the assemblies must be distinct and sorted');
      previous = id;
      int(a.member_of, "a member body's id"); int(a.electorate, 'an electorate'); int(a.weight, 'a weight');
      const sectors = list(a.sectors, undefined, 'the sectors');
      const sorted = [...new Set(sectors)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      if (!sectors.every((x) => typeof x === 'string') || canonical(sectors) !== canonical(sorted)) throw new Bad("an assembly's sectors must be distinct sorted text");
      if (typeof a.region !== 'string') throw new Bad('a region must be text');
      this.consulted.set(id, a);
    }
    if (this.questions.length !== 1 || canonical(this.questions[0]) !== canonical([3, 1, 1])) throw new Bad('a consultation asks one yes / no / abstain question');
    this.rule = p;
  }
  async ownBoard(payload) {
    const p = keys(payload, ['assembly', 'head', 'length', 'ballots', 'total_weight', 'ciphertexts'], "the assembly's tally");
    if (!this.consulted.has(p.assembly) || this.tallies.has(p.assembly)) throw new Bad('a tally of an assembly not consulted, or a second one');
    const board = this.assemblies && typeof this.assemblies === 'object' ? this.assemblies[String(p.assembly)] : undefined;
    if (!board) throw new Bad(`the board of assembly ${p.assembly} is not in the file`);
    try { return await verifyBoard(board, this.workers); } catch (err) {
      if (err instanceof Invalid) throw new Bad(`assembly ${p.assembly}'s board fails at ${err.message}`);
      throw err;
    }
  }
  assemblyTally(p, own, report) {
    const board = this.assemblies[String(p.assembly)];
    const records = board.records;
    const k = this.keyIndex;
    if (records.length <= k || records[k].hash !== this.records[k].hash) throw new Bad(`assembly ${p.assembly}'s board does not start with this election key`);
    if (own.phase !== 'tally' || records.at(-1).kind !== 'tally') throw new Bad(`assembly ${p.assembly}'s board does not end with its tally`);
    if (p.head !== own.head || p.length !== own.records) throw new Bad(`the head or length of assembly ${p.assembly}'s board differs`);
    if (p.ballots !== own.counted || p.total_weight !== own.total_weight) throw new Bad(`the ballots or total weight of assembly ${p.assembly} differ from its board`);
    if (canonical(p.ciphertexts) !== canonical(records.at(-1).payload.ciphertexts)) throw new Bad(`the encrypted tally differs from assembly ${p.assembly}'s board`);
    let extra = 0;
    for (const r of records) {
      if (r.kind !== 'credentials') continue;
      for (const c of r.payload.credentials) {
        if (this.seen.has(c.credential)) throw new Bad('a credential is registered in two assemblies');
        this.seen.add(c.credential);
        extra += c.weight - 1;
      }
    }
    // its electors' weight above 1: the assembly's electorate in the units of its counts
    this.extraWeight.set(p.assembly, extra);
    const [row] = list(p.ciphertexts, 1, "the assembly's ciphertexts");
    this.tallies.set(p.assembly, list(row, 3, 'a tally row').map(([a, b]) => [pt(a, 'a ciphertext').p, pt(b, 'a ciphertext').p]));
    this.bound += own.total_weight;
    report.ballots += own.ballots; report.counted += own.counted; report.total_weight += own.total_weight;
  }
  expectedGroups() {
    const tallied = [...this.tallies.keys()];
    const buckets = { member: new Map(), sector: new Map(), region: new Map() };
    const put = (m, k, v) => { if (!m.has(k)) m.set(k, []); m.get(k).push(v); };
    for (const id of tallied) {
      const a = this.consulted.get(id);
      put(buckets.member, String(a.member_of), id);
      for (const s of a.sectors.length ? a.sectors : ['']) put(buckets.sector, s, id);
      put(buckets.region, a.region, id);
    }
    const byCode = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    const groups = tallied.map((id) => ({ group: 'assembly', key: String(id), assemblies: [id] }));
    for (const name of ['member', 'sector', 'region']) {
      for (const key of [...buckets[name].keys()].sort(byCode)) groups.push({ group: name, key, assemblies: buckets[name].get(key).sort((x, y) => x - y) });
    }
    groups.push({ group: 'total', key: '', assemblies: [...tallied].sort((x, y) => x - y) });
    return groups;
  }
  aggregates(payload) {
    const p = keys(payload, ['groups', 'ciphertexts'], 'the aggregates');
    if (!this.tallies.size) throw new Bad("aggregates without any assembly's tally");
    if (canonical(p.groups) !== canonical(this.expectedGroups())) throw new Bad("the aggregates are not the groups of the assemblies' tallies");
    const rows = list(p.ciphertexts, p.groups.length, "the aggregates' ciphertexts");
    this.tallyCts = p.groups.map((g, k) => {
      let product = [0, 1, 2].map(() => [RP.ZERO, RP.ZERO]);
      for (const id of g.assemblies) product = product.map(([a, b], e) => [a.add(this.tallies.get(id)[e][0]), b.add(this.tallies.get(id)[e][1])]);
      if (canonical(rows[k]) !== canonical(product.map(([a, b]) => [a.toHex(), b.toHex()]))) throw new Bad(`the aggregate ${g.group} ${JSON.stringify(g.key)} is not the product of its tallies`);
      return product;
    });
  }
  outcome(outcome, counts) {
    const decided = new Map();
    this.notCounted = [];
    this.expectedGroups().forEach((g, k) => {
      if (g.group !== 'assembly') return;
      const id = Number(g.key);
      const row = counts[k];
      // the counts are weighted by the electors' vote weights: the bound is the electorate frozen
      // at opening in the same units (each registered elector weighing more than 1 adds its weight
      // above 1); an assembly's count above it is not counted (as the server does not count it)
      if (row[0] + row[1] + row[2] <= this.consulted.get(id).electorate + this.extraWeight.get(id)) decided.set(id, row);
      else this.notCounted.push(id);
    });
    const tables = { member: new Map(), sector: new Map(), region: new Map() };
    const put = (m, k, v) => { if (!m.has(k)) m.set(k, []); m.get(k).push(v); };
    for (const [id, a] of this.consulted) {
      put(tables.member, String(a.member_of), id);
      for (const s of a.sectors.length ? a.sectors : ['']) put(tables.sector, s, id);
      put(tables.region, a.region, id);
    }
    const byCode = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    const expected = [this.ruleGroup('total', '', [...this.consulted.keys()], decided)];
    for (const name of ['member', 'sector', 'region']) for (const key of [...tables[name].keys()].sort(byCode)) expected.push(this.ruleGroup(name, key, tables[name].get(key), decided));
    for (const id of this.consulted.keys()) expected.push(this.ruleGroup('assembly', String(id), [id], decided));
    if (canonical(outcome) !== canonical(expected)) throw new Bad(`the ${this.rule.rule} count of the decrypted tallies differs from the result`);
    return expected;
  }
  ruleGroup(group, key, ids, decided) {
    const c = this.rule;
    let yes = 0; let no = 0; let abstain = 0; let electorate = 0;
    for (const id of ids) {
      const a = this.consulted.get(id); const row = decided.get(id);
      if (c.rule === 'head_count') {
        electorate += a.electorate;
        if (row) { electorate += this.extraWeight.get(id); yes += row[0]; no += row[1]; abstain += row[2]; }
        continue;
      }
      const unit = c.rule === 'majority_of_bodies' ? 1 : a.weight;
      electorate += unit;
      if (row) { if (row[0] > row[1]) yes += unit; else if (row[1] > row[0]) no += unit; else abstain += unit; }
    }
    const cast = yes + no + abstain; const q = c.quorum_percent;
    const quorum = q === 0 || (electorate > 0 && cast * 100 >= q * electorate);
    const majority = { simple: yes > no, absolute: 2 * yes > electorate, two_thirds: yes > 0 && 3 * yes >= 2 * (yes + no) }[c.majority];
    return { group, key, yes, no, abstain, electorate, quorum_met: quorum, majority_met: majority, adopted: quorum && majority };
  }
}

async function main(argv) {
  const wi = argv.indexOf('--workers');
  const workers = wi >= 0 ? Number(argv[wi + 1]) : availableParallelism();
  const asJson = argv.includes('--json');
  const files = argv.filter((a, k) => !a.startsWith('--') && !(wi >= 0 && k === wi + 1));
  let worst = 0;
  for (const file of files) worst = Math.max(worst, await verifyFile(file, workers, asJson));
  return worst;
}

// One board: 0 if it verifies, 1 if a record fails, 2 if it cannot be read (one line each).
async function verifyFile(file, workers, asJson) {
  let board;
  try { board = JSON.parse(readFileSync(file, 'utf8')); } catch (err) { console.error(`cannot read ${file}: ${err.message}`); return 2; }
  try {
    const report = await verifyBoard(board, workers);
    if (asJson) console.log(JSON.stringify({ ok: true, ...report }));
    else {
      console.log(`OK: ${report.records} records verify; head ${report.head}; phase ${report.phase}; ballots ${report.ballots}; counted ${report.counted}; result ${JSON.stringify(report.result)}`);
      for (const id of report.not_counted || []) console.log(`not counted: assembly ${id} (its count exceeds its electorate)`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    if (asJson) console.log(JSON.stringify({ ok: false, index: err.index, kind: err.kind, reason: err.reason }));
    else console.log(`FAILED at ${err.message}`);
    return 1;
  }
}

if (isMainThread && import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
