// The account: balances and credits, language, training opt-out, the usage log of the last 30
// days, export, password change, API keys and webhooks for partners, and deleting the account.
// Exporting, creating an API key and deleting the account ask for the current password (sent as
// X-Glimvid-Password: the server's step-up check).
import { t, lang, setLang, LANGS } from './i18n.js';
import { h, field, mount, errorBox, toast, confirmDialog, when } from './dom.js';
import { api, saveUser, saveTokens, forget } from './api.js';
import { passwordRules } from './view-auth.js';

function section(title, id, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), ...children);
}

/** A password field and a button that runs `action(password)`; errors shown beside it. */
function withPassword(label, buttonText, action, { danger = false } = {}) {
  const pw = h('input', { type: 'password', autocomplete: 'current-password' });
  const errors = h('div', {});
  const btn = h('button', { type: 'submit', class: danger ? 'danger' : '', text: buttonText });
  const form = h('form', { novalidate: true }, field(label, pw), errors, h('div', { class: 'row' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(errors);
    btn.disabled = true;
    try { await action(pw.value); pw.value = ''; } catch (err) { mount(errors, errorBox(err)); } finally { btn.disabled = false; }
  });
  return form;
}

/** Shows a secret once, with a copy button. */
function secretBox(label, secret) {
  const out = h('input', { type: 'text', readonly: true, value: secret, class: 'mono', 'aria-label': label });
  return h('div', { class: 'secret', role: 'status' }, h('p', { text: t('account.secret_once', { what: label }) }), out,
    h('button', { type: 'button', class: 'secondary', text: t('copy'), onclick: async () => {
      try { await navigator.clipboard.writeText(secret); toast(t('copied')); } catch { out.select(); }
    } }));
}

export function accountView(main) {
  const summary = h('div', {});
  const settings = h('div', {});
  const usage = h('div', {});
  const keys = h('div', {});
  const hooks = h('div', {});
  const errors = h('div', {});
  let alive = true;

  const loadAccount = async () => {
    const a = await api('GET', '/account');
    saveUser(a);
    if (!alive) return;
    mount(summary, h('dl', { class: 'facts' },
      h('dt', { text: t('email') }), h('dd', { text: a.email }),
      h('dt', { text: t('account.credits') }), h('dd', { id: 'credits', text: String(a.credits) }),
      h('dt', { text: t('account.trials') }), h('dd', { id: 'trials', text: String(a.free_trials_left) }),
      h('dt', { text: t('account.since') }), h('dd', { text: when(a.created_at, lang()) })),
    h('p', { class: 'muted small', id: 'buy', text: t('account.buy', { id: a.id }) }));
    const langSel = h('select', {}, LANGS.map(([c, n]) => h('option', { value: c, text: n, selected: a.language.split('-')[0] === c })));
    langSel.addEventListener('change', async () => {
      try { saveUser(await api('PATCH', '/account', { json: { language: langSel.value } })); setLang(langSel.value); } catch (err) { mount(errors, errorBox(err)); }
    });
    const opt = h('input', { type: 'checkbox', id: 'opt-out', checked: a.training_opt_out });
    opt.addEventListener('change', async () => {
      try {
        saveUser(await api('PATCH', '/account', { json: { training_opt_out: opt.checked } }));
        toast(t('account.saved'));
      } catch (err) { opt.checked = !opt.checked; mount(errors, errorBox(err)); }
    });
    mount(settings, field(t('language'), langSel), h('div', { class: 'check' }, opt, h('label', { for: 'opt-out', text: t('account.opt_out') })));
  };

  const loadUsage = async (cursor) => {
    const q = new URLSearchParams({ limit: '20' });
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `/account/usage?${q}`);
    if (!alive) return;
    const rows = page.items.map((r) => h('tr', {}, h('td', { text: when(r.at, lang()) }), h('td', { text: t(`action.${r.action}`, {}, r.action) }),
      h('td', { text: r.ip }), h('td', { text: String(r.status) })));
    const table = usage.querySelector('tbody');
    if (cursor && table) table.append(...rows);
    else {
      mount(usage, h('p', { text: t('account.usage_summary', { n: page.summary.videos_created_30d, days: page.retention_days }) }),
        h('div', { class: 'scroll' }, h('table', {}, h('caption', { class: 'sr-only', text: t('account.usage') }),
          h('thead', {}, h('tr', {}, [t('usage.when'), t('usage.action'), t('usage.ip'), t('usage.status')].map((c) => h('th', { scope: 'col', text: c })))),
          h('tbody', {}, rows))));
    }
    usage.querySelector('.more')?.remove();
    if (page.next_cursor) usage.append(h('button', { type: 'button', class: 'secondary more', text: t('videos.more'), onclick: () => loadUsage(page.next_cursor) }));
  };

  const loadKeys = async () => {
    const list = await api('GET', '/account/api-keys');
    if (!alive) return;
    const created = h('div', {});
    const name = h('input', { type: 'text', maxlength: 100 });
    const write = h('input', { type: 'checkbox', id: 'scope-write', checked: true });
    const form = withPassword(t('password'), t('keys.create'), async (pw) => {
      const scopes = write.checked ? ['videos:read', 'videos:write'] : ['videos:read'];
      const k = await api('POST', '/account/api-keys', { json: { name: name.value.trim() || 'key', scopes }, password: pw });
      await loadKeys();
      mount(keys.querySelector('.created'), secretBox(t('keys.key'), k.secret));
    });
    form.prepend(field(t('keys.name'), name), h('div', { class: 'check' }, write, h('label', { for: 'scope-write', text: t('keys.write') })));
    mount(keys, h('ul', { class: 'plain' }, list.items.filter((k) => !k.revoked_at).map((k) => h('li', { class: 'row spread' },
      h('span', {}, h('strong', { text: k.name }), ' ', h('code', { text: `${k.prefix}…` }), ' ', h('span', { class: 'muted small', text: k.scopes.join(', ') })),
      h('button', { type: 'button', class: 'secondary', text: t('revoke'), 'aria-label': t('keys.revoke', { name: k.name }), onclick: async () => {
        if (!(await confirmDialog(t('keys.revoke_confirm', { name: k.name }), t('revoke')))) return;
        try { await api('DELETE', `/account/api-keys/${k.id}`); loadKeys(); } catch (err) { mount(errors, errorBox(err)); }
      } })))), h('div', { class: 'created' }, created), h('h3', { text: t('keys.new') }), form);
  };

  const loadHooks = async () => {
    const list = await api('GET', '/webhooks');
    if (!alive) return;
    const url = h('input', { type: 'url', required: true });
    const errs = h('div', {});
    const created = h('div', {});
    const form = h('form', { novalidate: true }, field(t('hooks.url'), url), errs, h('div', { class: 'row' }, h('button', { type: 'submit', text: t('hooks.add') })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      mount(errs);
      try {
        const w = await api('POST', '/webhooks', { json: { url: url.value.trim() } });
        await loadHooks();
        mount(hooks.querySelector('.created'), secretBox(t('hooks.secret'), w.secret));
      } catch (err) { mount(errs, errorBox(err)); }
    });
    mount(hooks, h('ul', { class: 'plain' }, list.items.map((w) => h('li', { class: 'row spread' }, h('code', { text: w.url }),
      h('button', { type: 'button', class: 'secondary', text: t('remove'), 'aria-label': t('hooks.remove', { url: w.url }), onclick: async () => {
        if (!(await confirmDialog(t('hooks.remove_confirm', { url: w.url }), t('remove')))) return;
        try { await api('DELETE', `/webhooks/${w.id}`); loadHooks(); } catch (err) { mount(errors, errorBox(err)); }
      } })))), h('div', { class: 'created' }, created), form);
  };

  const exportForm = withPassword(t('password'), t('account.export'), async (pw) => {
    const blob = await api('GET', '/account/export', { password: pw });
    const u = URL.createObjectURL(blob);
    const a = h('a', { href: u, download: 'glimvid-export.zip' });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(u), 60000);
    toast(t('account.exported'));
  });

  const newPw = h('input', { type: 'password', autocomplete: 'new-password' });
  const [rules, check] = passwordRules();
  newPw.addEventListener('input', () => check(newPw.value));
  const revoke = h('input', { type: 'checkbox', id: 'revoke-keys' });
  const pwForm = withPassword(t('account.current_password'), t('account.change_password'), async (current) => {
    if (!check(newPw.value)) throw { code: 'password_rules' };
    const tokens = await api('POST', '/account/password', { json: { current_password: current, new_password: newPw.value, revoke_api_keys: revoke.checked } });
    saveTokens(tokens);
    newPw.value = ''; check('');
    toast(t('account.password_changed'));
  });
  pwForm.insertBefore(h('div', {}, field(t('account.new_password'), newPw), rules,
    h('div', { class: 'check' }, revoke, h('label', { for: 'revoke-keys', text: t('account.revoke_keys') }))), pwForm.querySelector('.row'));

  const deleteForm = withPassword(t('password'), t('account.delete'), async (pw) => {
    if (!(await confirmDialog(t('account.delete_confirm'), t('account.delete')))) return;
    await api('DELETE', '/account', { password: pw });
    forget();
    toast(t('account.deleted'));
    location.hash = '#/register';
  }, { danger: true });

  mount(main, h('div', { class: 'stack' },
    h('h1', { text: t('account.title') }), errors,
    section(t('account.balance'), 'h-balance', summary),
    section(t('account.settings'), 'h-settings', settings),
    section(t('account.usage'), 'h-usage', usage),
    section(t('account.password_title'), 'h-password', pwForm),
    section(t('keys.title'), 'h-keys', h('p', { class: 'muted small', text: t('keys.intro') }), keys),
    section(t('hooks.title'), 'h-hooks', h('p', { class: 'muted small', text: t('hooks.intro') }), hooks),
    section(t('account.export_title'), 'h-export', h('p', { class: 'muted small', text: t('account.export_intro') }), exportForm),
    section(t('account.delete_title'), 'h-delete', h('p', { class: 'muted small', text: t('account.delete_intro') }), deleteForm)));
  const guard = (p) => p.catch((err) => { if (alive) mount(errors, errorBox(err)); });
  guard(loadAccount()); guard(loadUsage()); guard(loadKeys()); guard(loadHooks());
  return () => { alive = false; };
}
