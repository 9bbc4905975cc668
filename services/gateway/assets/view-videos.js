// My videos: a paged list, newest first, with a thumbnail (fetched with the access token) and
// the status of each.
import { t, lang } from './i18n.js';
import { h, mount, errorBox, when } from './dom.js';
import { api, blobUrl } from './api.js';

const PAGE = 12;

export function statusBadge(status) {
  return h('span', { class: `badge ${status}`, text: t(`status.${status}`, {}, status) });
}

export function videosView(main) {
  const list = h('ul', { class: 'videos' });
  const more = h('button', { type: 'button', class: 'secondary', text: t('videos.more'), hidden: true });
  const errors = h('div', {});
  const urls = [];
  let cursor = null;
  let alive = true;

  const load = async () => {
    more.disabled = true;
    try {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) q.set('cursor', cursor);
      const page = await api('GET', `/videos?${q}`);
      if (!alive) return;
      for (const job of page.items) {
        const thumb = h('div', { class: 'thumb', 'aria-hidden': 'true' });
        const img = job.enhanced_images[0] || job.photos[0];
        if (img) {
          blobUrl(img.url).then((u) => { urls.push(u); if (alive) thumb.append(h('img', { src: u, alt: '' })); }).catch(() => {});
        }
        list.append(h('li', {}, h('a', { href: `#/videos/${job.id}`, class: 'video-card' }, thumb,
          h('div', {}, h('p', { class: 'desc', text: job.description }),
            h('p', {}, statusBadge(job.status), ' ', h('span', { class: 'muted small', text: when(job.created_at, lang()) }))))));
      }
      if (!list.children.length) list.append(h('li', { class: 'empty' }, t('videos.empty'), ' ', h('a', { href: '#/new', text: t('nav.new') })));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (err) {
      mount(errors, errorBox(err));
    } finally { more.disabled = false; }
  };
  more.addEventListener('click', load);
  mount(main, h('section', { class: 'card' }, h('div', { class: 'row spread' }, h('h1', { text: t('videos.title') }),
    h('a', { href: '#/new', class: 'button', text: t('nav.new') })), errors, list, more));
  load();
  return () => { alive = false; urls.forEach((u) => URL.revokeObjectURL(u)); };
}
