// The verifiable vote's page (vote.html): the credential code shown once and the registration
// of its public part; then the ballot encrypted in this browser (ballot.js), its tracker, and
// cast-or-audit: an audited ballot is opened, checked here and by the server's verifier, then
// thrown away. The code is kept only in this page's memory; after a reload the voter types it.
// Interface: /work/brief/15-interface.md's successor, docs/verifiable-ballots.md.

import { checkOpening, deriveCredential, encryptBallot, newCredentialCode } from './ballot.js';
import { el, field, post, root, say, shownOnce, status, t, watch } from './page.js';

const app = document.getElementById('verifiable-app');
const d = root ? root.dataset : {};
const questions = JSON.parse(d.questions || '[]');
const my = {
  phase: d.phase,
  eligible: d.eligible === 'true',
  registered: d.registered === 'true',
  credential: d.credential || '',
  electionId: d.electionId || '',
  fingerprint: d.fingerprint || '',
  publicKey: d.publicKey || '',
  code: null, // in memory only
  pending: null, // { ballot, opening, tracker, choices }
  cast: null, // the last tracker cast from this page
  rendered: null,
};

const line = status('verifiable-status');

function election() {
  return {
    id: my.electionId,
    fingerprint: my.fingerprint,
    publicKey: my.publicKey,
    questions: questions.map((q) => ({ answers: q.answers.length, min: q.min, max: q.max })),
  };
}

function answerTexts(choices) {
  return choices.map((row, q) => row.map((v, e) => (v ? questions[q].answers[e] : null)).filter(Boolean).join(', ') || t('no-answer')).join(' · ');
}

function render() {
  if (!app) return;
  app.replaceChildren();
  my.rendered = `${my.phase}|${my.registered}`;
  if (!my.eligible) return;
  if (['ceremony', 'registration'].includes(my.phase)) app.append(my.registered ? registeredView() : registerView());
  else if (my.phase === 'open') app.append(my.registered ? ballotView() : el('p', { id: 'verifiable-not-registered' }, t('not-registered-closed')));
  else if (['closed', 'result'].includes(my.phase)) app.append(el('p', {}, t('voting-closed')), trackerLink());
  app.append(line);
}

function trackerLink() {
  if (!my.cast) return null;
  return el('p', {}, el('a', { href: `${d.boardUrl}?tracker=${my.cast}`, id: 'verifiable-find-tracker' }, t('find-tracker')));
}

function registerView() {
  const box = el('div', { id: 'verifiable-register' });
  const start = el('button', { type: 'button', id: 'verifiable-new-code' }, t('register-start'));
  start.addEventListener('click', () => {
    const code = newCredentialCode();
    const button = el('button', { type: 'button', id: 'verifiable-register-button' }, t('register-button'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      say(line, t('working'));
      try {
        const cred = deriveCredential(my.electionId, code);
        await post(d.registerUrl, { credential: cred.public });
        Object.assign(my, { registered: true, credential: cred.public, code });
        render();
        say(line, t('registered-now'), 'ok');
      } catch (error) {
        say(line, error.message, 'error');
        button.disabled = false;
      }
    });
    box.replaceChildren(shownOnce(code, 'credential-code.txt', [t('code-file-credential'), document.title], button));
  });
  box.append(el('p', {}, t('register-intro')), el('p', {}, start));
  return box;
}

function registeredView() {
  return el("p", { id: "verifiable-registered-wait" }, t("registered-wait"));
}

function ballotView() {
  const form = el('form', { id: 'verifiable-ballot' });
  questions.forEach((q, qi) => {
    const single = q.min === 1 && q.max === 1;
    const set = el('fieldset', {}, el('legend', {}, q.text));
    q.answers.forEach((answer, e) => {
      const id = `verifiable-q${qi}-a${e}`;
      set.append(el('p', {}, el('label', { for: id }, el('input', { type: single ? 'radio' : 'checkbox', name: `q${qi}`, value: String(e), id }), ' ', answer)));
    });
    if (!single) set.append(el('p', { class: 'hint' }, t('choose-between', { min: q.min, max: q.max })));
    form.append(set);
  });
  const code = field('verifiable-code-input', t('code-enter'));
  if (!my.code) form.append(code.node);
  const encrypt = el('button', { type: 'submit', id: 'verifiable-encrypt' }, t('encrypt'));
  form.append(el('p', {}, encrypt));
  const result = el('div', { id: 'verifiable-pending' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const choices = questions.map((q, qi) => q.answers.map((_, e) => (form.querySelector(`#verifiable-q${qi}-a${e}`).checked ? 1 : 0)));
    const bad = questions.findIndex((q, qi) => { const n = choices[qi].reduce((a, b) => a + b, 0); return n < q.min || n > q.max; });
    if (bad >= 0) { say(line, t('choose-between', { min: questions[bad].min, max: questions[bad].max }), 'error'); return; }
    let secret;
    try {
      const cred = deriveCredential(my.electionId, my.code || code.input.value);
      if (cred.public !== my.credential) throw new Error(t('code-not-yours'));
      my.code = my.code || code.input.value;
      secret = cred.secret;
    } catch (error) {
      say(line, error.message === 'not a credential code' ? t('code-malformed') : error.message, 'error');
      return;
    }
    const { ballot, opening, tracker } = encryptBallot(election(), secret, choices);
    my.pending = { ballot, opening, tracker, choices };
    code.node.remove();
    say(line, '');
    result.replaceChildren(pendingView());
  });
  const wrap = el('div', {}, form, result);
  if (my.cast) wrap.append(el('p', { id: 'verifiable-cast-done' }, t('cast-done', { tracker: my.cast })), trackerLink(), el('p', {}, t('revote')));
  return wrap;
}

function pendingView() {
  const p = my.pending;
  const cast = el('button', { type: 'button', id: 'verifiable-cast' }, t('cast'));
  const audit = el('button', { type: 'button', id: 'verifiable-audit' }, t('audit'));
  cast.addEventListener('click', async () => {
    cast.disabled = audit.disabled = true;
    say(line, t('working'));
    try {
      const answer = await post(d.castUrl, { ballot: p.ballot });
      if (answer.tracker !== p.tracker) throw new Error(t('tracker-mismatch'));
      my.cast = p.tracker;
      my.pending = null;
      render();
      say(line, t('cast-ok'), 'ok');
    } catch (error) {
      say(line, error.message, 'error');
      cast.disabled = audit.disabled = false;
    }
  });
  audit.addEventListener('click', async () => {
    cast.disabled = audit.disabled = true;
    my.pending = null; // an opened ballot must never be cast
    const box = document.getElementById('verifiable-pending');
    let mine;
    try {
      mine = checkOpening(election(), p.ballot, p.opening);
    } catch (error) {
      box.replaceChildren(el('p', { id: 'verifiable-audit-page', 'data-kind': 'error' }, t('audit-page-bad', { reason: error.message })));
      return;
    }
    const same = JSON.stringify(mine) === JSON.stringify(p.choices);
    box.replaceChildren(
      el('p', { id: 'verifiable-audit-page', 'data-kind': same ? 'ok' : 'error' }, t(same ? 'audit-page-ok' : 'audit-page-differs', { answers: answerTexts(mine) })),
    );
    const server = el('p', { id: 'verifiable-audit-server' }, t('working'));
    box.append(server);
    try {
      const answer = await post(d.auditUrl, { ballot: p.ballot, opening: p.opening });
      const agrees = answer.valid && JSON.stringify(answer.choices) === JSON.stringify(mine);
      say(server, t(agrees ? 'audit-server-ok' : 'audit-server-differs', { answers: answerTexts(answer.choices || []) }), agrees ? 'ok' : 'error');
    } catch (error) {
      say(server, t('audit-server-bad', { reason: error.message }), 'error');
    }
    box.append(el('p', { id: 'verifiable-audit-discarded' }, t('audit-discarded')));
  });
  return el('div', {},
    el('p', {}, t('tracker-intro')),
    el('p', {}, el('code', { id: 'verifiable-tracker', style: 'word-break: break-all' }, p.tracker)),
    el('p', {}, cast, ' ', audit),
    el('p', { class: 'hint' }, t('audit-explain')));
}

if (root && app) {
  render();
  watch((state) => {
    my.phase = state.phase;
    my.electionId = state.election_id || my.electionId;
    my.fingerprint = state.fingerprint || my.fingerprint;
    my.publicKey = state.public_key || my.publicKey;
    if (state.me) {
      my.eligible = Boolean(state.me.eligible);
      my.registered = Boolean(state.me.registered);
      my.credential = state.me.credential || my.credential;
    }
    // Re-draw only when the phase or the registration changed, never under the voter's hands.
    if (my.rendered !== `${my.phase}|${my.registered}`) render();
  }, 4);
}
