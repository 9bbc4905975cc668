// Small DOM helpers: elements built from data (never from HTML strings, so no text can become
// markup), toasts, the confirmation dialog and readable errors.
import { t } from './i18n.js';

/** h('button', {class: 'x', onclick: f}, 'text', child): an element with attributes and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

let uid = 0;
/** A labelled form field: the label, the control and a place for its hint or error. */
export function field(label, control, hint) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  const hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint || '');
  control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** Shows a short message; errors stay until dismissed, others fade after a while. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const close = h('button', { type: 'button', class: 'link', 'aria-label': t('close'), text: '×' });
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, message), close);
  close.addEventListener('click', () => el.remove());
  box.append(el);
  if (kind !== 'error') setTimeout(() => el.remove(), 6000);
  return el;
}

/** Asks for a confirmation in a modal dialog; resolves true when confirmed. */
export function confirmDialog(text, okLabel) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  ok.textContent = okLabel || t('ok');
  cancel.textContent = t('cancel');
  return new Promise((resolve) => {
    const done = (v) => { ok.onclick = cancel.onclick = dlg.oncancel = null; dlg.close(); resolve(v); };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dlg.oncancel = (e) => { e.preventDefault(); done(false); };
    dlg.showModal();
    cancel.focus();
  });
}

/** The readable message of an error from the API (a problem document) or the network. */
export function errorText(err) {
  if (!err || !err.code) return t('err.unknown');
  if (err.code === 'network') return t('err.network');
  if (err.code === 'rate_limited' || err.status === 429) {
    return err.retryAfter ? t('err.rate_limited_in', { s: err.retryAfter }) : t('err.rate_limited');
  }
  if (err.code === 'unavailable' && err.retryAfter) return t('err.unavailable_in', { s: err.retryAfter });
  const base = t(`err.${err.code}`, {}, null) || t('err.unknown');
  // The server's detail says which rule failed (in English); show it beside the readable text.
  return err.detail ? `${base} (${err.detail})` : base;
}

/** A box showing an error, with a way to buy credits on 402 and the request id to quote. */
export function errorBox(err) {
  const box = h('div', { class: 'error', role: 'alert' }, h('p', {}, errorText(err)));
  if (err && err.status === 402) box.append(h('p', {}, h('a', { href: '#/account', text: t('buy_credits') })));
  if (err && err.requestId) box.append(h('p', { class: 'muted small' }, t('request_id', { id: err.requestId })));
  return box;
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren(...children.flat().filter(Boolean));
  return el;
}

/** A formatted date and time in the interface's language. */
export function when(iso, lang) {
  if (!iso) return '';
  try { return new Date(iso).toLocaleString(lang); } catch { return iso; }
}
