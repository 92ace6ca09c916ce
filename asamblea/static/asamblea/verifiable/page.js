// What the verifiable vote's page scripts (voter.js, trustee.js) share: the page root's data-
// attributes, the translated sentences the server renders into <template id="verifiable-text">
// (templates/verifiable/_script_text.html), JSON requests with the CSRF token, a code shown
// once (to write down or download), and polling of state.json. No build step.

export const root = document.getElementById('verifiable');

/** A translated sentence; {name} placeholders are filled from `vars`. */
export function t(key, vars = {}) {
  const texts = document.getElementById('verifiable-text'); // a <template>: its content is apart
  const node = texts && texts.content.querySelector(`[data-key="${key}"]`);
  const text = node ? node.textContent.trim() : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Build an element: el('p', {id: 'x', class: 'y'}, 'text', child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export class RequestError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

/** POST JSON to a URL of this site; the answer's JSON, or a RequestError with its message. */
export async function post(url, body) {
  let answer;
  try {
    answer = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': root.dataset.csrfToken },
      body: JSON.stringify(body),
    });
  } catch {
    throw new RequestError(t('network-error'), 'network', 0);
  }
  let data = null;
  try { data = await answer.json(); } catch { data = null; }
  if (!answer.ok) {
    const error = data && data.error;
    throw new RequestError(error && error.message ? error.message : t('server-error', { status: answer.status }), error && error.code, answer.status);
  }
  return data;
}

export async function getState() {
  const answer = await fetch(root.dataset.stateUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!answer.ok) throw new RequestError(t('server-error', { status: answer.status }), 'state', answer.status);
  return answer.json();
}

/** Call `onState(state)` now and every `seconds`, while the page is open. */
export function watch(onState, seconds = 3) {
  let timer = null;
  const tick = async () => {
    try { await onState(await getState()); } catch { /* a missed poll is retried */ }
    timer = setTimeout(tick, seconds * 1000);
  };
  tick();
  return () => clearTimeout(timer);
}

/** A line of status or error text, announced to screen readers. */
export function status(id) {
  return el('p', { id, role: 'status', 'aria-live': 'polite' });
}

export function say(node, text, kind = '') {
  node.textContent = text;
  if (kind) node.dataset.kind = kind; else delete node.dataset.kind;
}

/**
 * A code shown once: the code in large type, a download link, and a checkbox "I have written it
 * down" that enables `button`. `filename` names the downloaded file.
 */
export function shownOnce(code, filename, lines, button) {
  const blob = new Blob([`${lines.join('\n')}\n\n${code}\n`], { type: 'text/plain' });
  const check = el('input', { type: 'checkbox', id: `${button.id}-saved` });
  button.disabled = true;
  check.addEventListener('change', () => { button.disabled = !check.checked; });
  return el('div', { class: 'verifiable-code-once' },
    el('p', {}, t('code-once')),
    el('p', {}, el('output', { id: 'verifiable-code', class: 'code', style: 'font-family: monospace; font-size: 1.4em; word-break: break-all' }, code)),
    el('p', {}, el('a', { href: URL.createObjectURL(blob), download: filename, id: 'verifiable-code-download' }, t('code-download'))),
    el('p', {}, el('label', { for: check.id }, check, ' ', t('code-saved'))),
    el('p', {}, button));
}

export function field(id, label) {
  const input = el('input', { id, type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', inputmode: 'text', style: 'font-family: monospace' });
  return { input, node: el('p', {}, el('label', { for: id }, label), el('br'), input) };
}
