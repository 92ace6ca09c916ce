// The trustee's page (trustee.html): the key ceremony and, after the vote, the partial
// decryption, all computed in this browser with ceremony.js. The trustee's code is shown once
// (to write down or download); every secret is derived from it and the ceremony's fingerprint,
// kept only in this page's memory, and typed again to decrypt. While the page stays open with
// the code, each step runs as soon as the others are ready (state.json is polled).

import { ceremonyStart, channelKeyFingerprint, channelKeyPayload, commitmentPayload, deriveTrustee,
  expectedVerificationKey, keyPayload, newTrusteeCode, partialDecryption, receiveShares, recoverKeyShare,
  sharesFor } from './ceremony.js';
import { el, field, post, root, say, shownOnce, status, t, watch } from './page.js';

const app = document.getElementById('verifiable-trustee-app');
const d = root ? root.dataset : {};
const my = { code: null, busy: false, state: null, view: null, failed: null, compared: null, mine: null };
const line = status('verifiable-trustee-status');
const box = el('div', { id: 'verifiable-trustee-step' });

const me = (s) => s.trustees.find((x) => x.index === s.me.trustee) || {};

/** What this trustee has to do now: a name, or null when it waits. */
function todo(s) {
  if (!s.me || !s.me.trustee) return null;
  const mine = me(s);
  if (s.phase === 'ceremony') {
    if (s.step === 'channel' && !mine.channel_key) return 'channel';
    if (s.step === 'commit' && !mine.committed) return 'commit';
    if (s.step === 'key' && !mine.keyed) return 'key';
    return null;
  }
  if (s.phase === 'closed' && !mine.decrypted) return 'decrypt';
  return null;
}

function waiting(s) {
  if (s.phase !== 'setup' && !(s.me && s.me.trustee)) return t('trustee-excluded');
  if (s.phase === 'ceremony') {
    const done = s.trustees.filter((x) => (s.step === 'channel' ? x.channel_key : s.step === 'commit' ? x.committed : x.keyed)).length;
    return t('trustee-waiting', { done, count: s.trustee_count });
  }
  if (['registration', 'open'].includes(s.phase)) return t('trustee-ceremony-done');
  if (s.phase === 'closed') return t('trustee-decrypted-wait', { done: s.trustees.filter((x) => x.decrypted).length, threshold: s.threshold });
  if (s.phase === 'result') return t('trustee-result');
  if (s.phase === 'cancelled') return t('trustee-cancelled');
  return t('trustee-setup');
}

async function run(step, s) {
  const i = s.me.trustee;
  const fp = s.fingerprint;
  const threshold = s.threshold;
  if (step === 'channel') {
    const mine = deriveTrustee(fp, my.code, threshold);
    const payload = channelKeyPayload(fp, i, mine.channelSecret);
    await post(d.channelUrl, { channel_key: payload.channel_key, proof: payload.proof });
    return;
  }
  if (step === 'commit') {
    const { mine, channelKey } = ceremonyStart(fp, fp, i, threshold, my.code);
    if (channelKey.channel_key !== me(s).channel_key) throw new Error(t('trustee-code-wrong'));
    const keys = Object.fromEntries(s.trustees.map((x) => [x.index, x.channel_key]));
    const shares = Object.fromEntries(sharesFor(fp, i, mine, keys).map((m) => [String(m.receiver), m]));
    await post(d.commitUrl, { commitment: commitmentPayload(fp, i, mine.coefficients), shares });
    return;
  }
  if (step === 'key') {
    const mine = deriveTrustee(fp, my.code, threshold);
    if (mine.channelPublic !== me(s).channel_key) throw new Error(t('trustee-code-wrong'));
    const messages = Object.values(s.me.shares || {});
    const { secret, complaints } = receiveShares(fp, i, mine, s.commitments, messages);
    if (complaints.length) {
      const [complaint] = complaints;
      await post(d.complaintUrl, { against: complaint.accused, reason: t('trustee-complaint-reason', { index: complaint.accused }), complaint });
      say(line, t('trustee-complained', { index: complaint.accused }), 'error');
      return;
    }
    await post(d.keyUrl, { key: keyPayload(fp, i, secret) });
    return;
  }
  if (step === 'decrypt') {
    const messages = Object.values(s.me.shares || {});
    let x;
    try {
      x = recoverKeyShare(fp, fp, i, threshold, my.code, s.commitments, messages, expectedVerificationKey(s.commitments, i));
    } catch {
      throw new Error(t('trustee-code-wrong'));
    }
    const answer = await post(d.decryptUrl, { partial: partialDecryption(fp, i, x, s.tally) });
    say(line, t(answer.result ? 'trustee-result' : 'trustee-decrypted'), 'ok');
  }
}

function codeView(step) {
  const wrap = el('div', { id: `verifiable-trustee-${step}` });
  if (step === 'channel') {
    const code = newTrusteeCode();
    const use = el('button', { type: 'button', id: 'verifiable-trustee-start' }, t('trustee-start'));
    use.addEventListener('click', () => { my.code = code; wrap.replaceChildren(el('p', {}, t('working'))); advance(); });
    wrap.append(el('p', {}, t('trustee-intro')), shownOnce(code, 'trustee-code.txt', [t('code-file-trustee'), document.title], use));
    const other = el('details', {}, el('summary', {}, t('trustee-have-code')), typedCode());
    wrap.append(other);
    return wrap;
  }
  wrap.append(el('p', {}, t(step === 'decrypt' ? 'trustee-decrypt-intro' : 'trustee-code-again')), typedCode());
  return wrap;
}

function typedCode() {
  const f = field('verifiable-trustee-code', t('code-enter'));
  const go = el('button', { type: 'submit', id: 'verifiable-trustee-go' }, t('trustee-continue'));
  const form = el('form', {}, f.node, el('p', {}, go));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    try { deriveTrustee('check', f.input.value, 1); } catch { say(line, t('code-malformed'), 'error'); return; }
    my.code = f.input.value;
    my.failed = null;
    advance();
  });
  return form;
}

// Channel keys pass through the server, so trustees compare their fingerprints out of band
// before sending shares: this browser computes every fingerprint itself from the keys, and
// its own key's from the code, and the commit step waits until the trustee says they match.

function showFingerprints(s) {
  for (const x of s.trustees || []) {
    const cell = document.getElementById(`verifiable-fingerprint-${x.index}`);
    if (cell && x.channel_key) cell.textContent = channelKeyFingerprint(x.channel_key);
  }
  const mine = document.getElementById('verifiable-my-fingerprint');
  if (!mine || !my.code || !s.fingerprint || !s.me || !s.me.trustee) return;
  const key = `${s.fingerprint}:${my.code}`;
  if (!my.mine || my.mine.key !== key) {
    my.mine = { key, print: channelKeyFingerprint(deriveTrustee(s.fingerprint, my.code, s.threshold).channelPublic) };
  }
  mine.textContent = t('trustee-my-fingerprint', { fingerprint: my.mine.print });
  mine.hidden = false;
}

function compareView(s) {
  const go = el('button', { type: 'button', id: 'verifiable-trustee-compared' }, t('trustee-compared'));
  go.addEventListener('click', () => { my.compared = s.fingerprint; advance(); });
  return el('div', { id: 'verifiable-trustee-compare' }, el('p', {}, t('trustee-compare')), el('p', {}, go));
}

async function advance() {
  const s = my.state;
  if (!s || my.busy) return;
  try { showFingerprints(s); } catch { /* a malformed key: the server's checks refused it */ }
  const step = todo(s);
  const gated = step === 'commit' && my.code && my.compared !== s.fingerprint;
  const view = step && !my.code ? `code:${step}` : gated ? `compare:${s.fingerprint}` : `wait:${s.phase}:${s.step}:${step}`;
  if (step && my.code && !gated && my.failed !== `${s.fingerprint}:${step}`) {
    my.busy = true;
    say(line, t('working'));
    try {
      await run(step, s);
      if (step !== 'key' || !line.dataset.kind) say(line, t('trustee-step-done'), 'ok');
    } catch (error) {
      my.failed = `${s.fingerprint}:${step}`; // do not repeat a failing step on every poll
      if (error.message === t('trustee-code-wrong')) my.code = null;
      say(line, error.message, 'error');
    } finally {
      my.busy = false;
    }
  }
  if (view !== my.view) {
    my.view = view;
    box.replaceChildren(step && !my.code ? codeView(step) : gated ? compareView(s) : el('p', { id: 'verifiable-trustee-waiting' }, waiting(s)));
  } else if ((!step || my.code) && !gated) {
    const w = document.getElementById('verifiable-trustee-waiting');
    if (w) w.textContent = waiting(s);
  }
}

if (root && app) {
  app.append(box, line);
  watch(async (state) => {
    my.state = state;
    if (my.failed && my.code && my.failed !== `${state.fingerprint}:${todo(state)}`) my.failed = null;
    await advance();
  }, 3);
}
