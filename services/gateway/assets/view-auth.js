// Logging in and registering. The password rules are shown as the user types (the server's
// policy: 10 to 128 characters and not a well-known password, which only the server can check).
import { t, lang, setLang } from './i18n.js';
import { h, field, mount, errorBox } from './dom.js';
import { login, register } from './api.js';

export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 128;

/** Live checklist of the password rules; returns [element, update(password) -> ok]. */
export function passwordRules() {
  const len = h('li', {});
  const max = h('li', {});
  const common = h('li', { class: 'muted', text: t('pw.common') });
  const list = h('ul', { class: 'rules', 'aria-live': 'polite' }, len, max, common);
  const update = (pw) => {
    const n = [...pw].length;
    const okLen = n >= MIN_PASSWORD;
    const okMax = n <= MAX_PASSWORD;
    len.className = okLen ? 'ok' : 'bad';
    len.textContent = `${okLen ? '✓' : '✗'} ${t('pw.min', { n: MIN_PASSWORD, have: n })}`;
    max.className = okMax ? 'ok' : 'bad';
    max.textContent = `${okMax ? '✓' : '✗'} ${t('pw.max', { n: MAX_PASSWORD })}`;
    return okLen && okMax;
  };
  update('');
  return [list, update];
}

function showError(slot, err) {
  mount(slot, errorBox(err));
  slot.querySelector('[role=alert]')?.focus?.();
}

export function loginView(main) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', text: t('login.submit') });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { text: t('login.title') }),
    field(t('email'), email), field(t('password'), password), errors,
    h('div', { class: 'row' }, submit),
    h('p', {}, t('login.no_account'), ' ', h('a', { href: '#/register', text: t('nav.register') })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const tokens = await login(email.value.trim(), password.value);
      if (tokens.user && tokens.user.language) setLang(tokens.user.language.split('-')[0], { fromAccount: true });
      location.hash = '#/videos';
    } catch (err) {
      showError(errors, err);
    } finally { submit.disabled = false; }
  });
  mount(main, form);
  email.focus();
}

export function registerView(main) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true });
  const [rules, check] = passwordRules();
  password.addEventListener('input', () => check(password.value));
  const age = h('input', { type: 'checkbox', id: 'age', required: true });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', text: t('register.submit') });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { text: t('register.title') }),
    field(t('email'), email),
    field(t('password'), password), rules,
    h('div', { class: 'check' }, age, h('label', { for: 'age', text: t('register.age') })),
    h('p', { class: 'muted small', text: t('register.privacy') }),
    errors,
    h('div', { class: 'row' }, submit),
    h('p', {}, t('register.have_account'), ' ', h('a', { href: '#/login', text: t('nav.login') })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!check(password.value)) { showError(errors, { code: 'password_rules' }); password.focus(); return; }
    if (!age.checked) { showError(errors, { code: 'age_required' }); age.focus(); return; }
    submit.disabled = true;
    try {
      await register({ email: email.value.trim(), password: password.value, language: lang(), age_confirmed: true });
      location.hash = '#/new';
    } catch (err) {
      showError(errors, err);
    } finally { submit.disabled = false; }
  });
  mount(main, form);
  email.focus();
}
