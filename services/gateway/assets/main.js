// The app's entry: language, navigation, the offline banner, and the router (the URL fragment
// names the screen, so the server serves one page and a reload stays on the same screen).
import { t, lang, setLang, LANGS, onLang } from './i18n.js';
import { h, mount, toast } from './dom.js';
import { api, session, onSession, logout, saveUser } from './api.js';
import { loginView, registerView } from './view-auth.js';
import { createView } from './view-create.js';
import { videosView } from './view-videos.js';
import { jobView } from './view-job.js';
import { accountView } from './view-account.js';

const main = document.getElementById('main');
let cleanup = null;

const ROUTES = [
  [/^#\/login$/, loginView, false],
  [/^#\/register$/, registerView, false],
  [/^#\/new$/, createView, true],
  [/^#\/videos$/, videosView, true],
  [/^#\/videos\/([\w-]+)$/, jobView, true],
  [/^#\/account$/, accountView, true],
];

function nav() {
  const s = session();
  const link = (href, key) => h('a', { href, 'aria-current': location.hash === href ? 'page' : null, text: t(key) });
  const items = s
    ? [link('#/new', 'nav.new'), link('#/videos', 'nav.videos'), link('#/account', 'nav.account'),
      h('button', { type: 'button', class: 'link', id: 'logout', text: t('nav.logout'),
        onclick: async () => { await logout(); location.hash = '#/login'; } })]
    : [link('#/login', 'nav.login'), link('#/register', 'nav.register')];
  mount(document.getElementById('nav'), h('ul', {}, items.map((i) => h('li', {}, i))));
}

function langPicker() {
  const sel = document.getElementById('lang');
  document.getElementById('lang-label').textContent = t('language');
  mount(sel, LANGS.map(([code, name]) => h('option', { value: code, text: name, selected: code === lang() })));
  sel.onchange = async () => {
    setLang(sel.value);
    // Remembered in the account too, so other devices and new jobs follow it.
    if (session()) {
      try { saveUser(await api('PATCH', '/account', { json: { language: sel.value } })); } catch { /* kept locally */ }
    }
  };
}

export function route() {
  if (cleanup) { try { cleanup(); } catch { /* the old screen is gone anyway */ } cleanup = null; }
  const hash = location.hash || '';
  const s = session();
  for (const [re, view, needsLogin] of ROUTES) {
    const m = hash.match(re);
    if (!m) continue;
    if (needsLogin && !s) { location.replace('#/login'); return; }
    if (!needsLogin && s) { location.replace('#/videos'); return; }
    nav();
    const r = view(main, ...m.slice(1));
    cleanup = typeof r === 'function' ? r : null;
    // Screen readers and keyboard users start at the new screen (unless it focused a field).
    if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
    return;
  }
  location.replace(s ? '#/videos' : '#/login');
}

function offline() {
  const banner = document.getElementById('offline');
  const update = () => { banner.hidden = navigator.onLine; banner.textContent = t('offline'); };
  window.addEventListener('online', () => { update(); toast(t('back_online')); });
  window.addEventListener('offline', update);
  update();
}

window.addEventListener('hashchange', route);
window.addEventListener('glimvid:logged-out', (e) => {
  toast(t(`logged_out.${e.detail}`), 'error');
  location.hash = '#/login';
});
let wasLoggedIn = !!session();
// Logged out (here, in another tab, or by a refused refresh): leave the screens that need a
// session. Logging in navigates from the login screen itself.
onSession((s) => {
  const loggedOut = wasLoggedIn && !s;
  wasLoggedIn = !!s;
  if (loggedOut) route(); else nav();
});
onLang(() => { document.documentElement.lang = lang(); document.title = t('title'); langPicker(); route(); });

document.documentElement.lang = lang();
document.title = t('title');
langPicker();
offline();
route();
