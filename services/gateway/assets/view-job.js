// One video: its stages live from the event stream, the failure reason in plain words, the
// review before paying (edit, reorder, then render with the price shown), and once done the
// player, download, public link, delete; cancel while it runs.
import { t, lang } from './i18n.js';
import { h, mount, errorBox, toast, confirmDialog, when } from './dom.js';
import { api, blobUrl, saveUser } from './api.js';
import { follow } from './events.js';
import { statusBadge } from './view-videos.js';

const STAGES = ['script', 'enhance', 'render'];
const RUNNING = new Set(['queued', 'running']);
/** What a video costs: one free trial, or else one credit (crates/domain/src/credits.rs). */
const VIDEO_COST = 1;

/** A failure reason in plain words: known causes are translated, others shown as the server says. */
function failureText(reason) {
  if (!reason) return t('job.failed_generic');
  const known = [['timed out', 'fail.timeout'], ['cancel', 'fail.canceled'], ['decode', 'fail.photo'], ['image', 'fail.photo'],
    ['provider', 'fail.provider'], ['attempt', 'fail.attempts']];
  const hit = known.find(([needle]) => reason.toLowerCase().includes(needle));
  return hit ? `${t(hit[1])} (${reason})` : reason;
}

export function jobView(main, id) {
  const urls = [];
  let stop = null;
  let alive = true;
  let job = null;
  let editing = null; // the script being edited in review
  const header = h('div', {});
  const stagesEl = h('ol', { class: 'stages', 'aria-live': 'polite' });
  const live = h('p', { class: 'muted small', role: 'status' });
  const body = h('div', {});
  const errors = h('div', {});
  const actions = h('div', { class: 'row' });
  mount(main, h('section', { class: 'card' }, h('p', {}, h('a', { href: '#/videos', text: `← ${t('nav.videos')}` })),
    header, errors, stagesEl, live, body, actions));

  const fail = (err) => { mount(errors, errorBox(err)); errors.scrollIntoView({ block: 'nearest' }); };

  const renderStages = () => {
    mount(stagesEl, STAGES.map((name) => {
      const st = job.stages.find((s) => s.name === name) || { status: 'pending' };
      const icon = { succeeded: '✓', failed: '✗', running: '…', canceled: '–' }[st.status] || '○';
      return h('li', { class: `stage ${st.status}` }, h('span', { class: 'icon', 'aria-hidden': 'true', text: icon }),
        h('span', { text: t(`stage.${name}`) }), ' ', h('span', { class: 'muted', text: t(`status.${st.status}`, {}, st.status) }),
        st.note ? h('span', { class: 'muted small', text: ` — ${st.note}` }) : null);
    }));
  };

  const renderHeader = () => {
    mount(header, h('h1', { text: t('job.title') }), h('p', { class: 'desc', text: job.description }),
      h('p', {}, statusBadge(job.status), ' ', h('span', { class: 'muted small', text: when(job.created_at, lang()) })));
  };

  const renderActions = () => {
    const items = [];
    if (RUNNING.has(job.status) || job.status === 'awaiting_review') {
      items.push(h('button', { type: 'button', class: 'secondary', text: t('job.cancel'), onclick: async () => {
        if (!(await confirmDialog(t('job.cancel_confirm'), t('job.cancel')))) return;
        try { job = await api('POST', `/videos/${id}/cancel`); refresh(); } catch (err) { fail(err); }
      } }));
    }
    if (job.public_url) {
      items.push(h('a', { class: 'button secondary', href: job.public_url, download: `glimvid-${job.id}.mp4`, text: t('job.download') }));
      items.push(h('button', { type: 'button', class: 'secondary', text: t('job.copy'), onclick: async () => {
        try { await navigator.clipboard.writeText(job.public_url); toast(t('job.copied')); } catch { prompt(t('job.copy'), job.public_url); }
      } }));
    }
    if (!RUNNING.has(job.status)) {
      items.push(h('button', { type: 'button', class: 'danger', text: t('job.delete'), onclick: async () => {
        if (!(await confirmDialog(t('job.delete_confirm'), t('job.delete')))) return;
        try { await api('DELETE', `/videos/${id}`); toast(t('job.deleted')); location.hash = '#/videos'; } catch (err) { fail(err); }
      } }));
    }
    mount(actions, items);
  };

  const renderBody = () => {
    if (job.status === 'succeeded' && job.public_url) {
      const video = h('video', { controls: true, preload: 'metadata', playsinline: true, src: job.public_url, class: 'player',
        'aria-label': t('job.player') });
      const files = h('p', { class: 'subtitles' });
      mount(body, video, files);
      // The narration's subtitles: a track of the player, and the files to download (both need
      // the owner's token, so they are fetched, not linked).
      const [vtt, srt] = [(job.subtitles || [])[0], (job.subtitles || [])[1]];
      if (vtt) {
        blobUrl(vtt.url).then((u) => {
          urls.push(u);
          video.append(h('track', { kind: 'subtitles', src: u, srclang: job.options.language || 'en', label: t('job.subtitles') }));
          files.append(h('a', { href: u, download: `${job.id}.vtt`, text: t('job.subtitles_vtt') }));
          if (!srt) return;
          return blobUrl(srt.url).then((s) => {
            urls.push(s);
            files.append(' · ', h('a', { href: s, download: `${job.id}.srt`, text: t('job.subtitles_srt') }));
          });
        }).catch(() => {});
      }
    } else if (job.status === 'failed') {
      mount(body, h('div', { class: 'error', role: 'alert' }, h('p', { text: t('job.failed') }), h('p', { text: failureText(job.failure_reason) })));
    } else if (job.status === 'canceled') {
      mount(body, h('p', { text: t('job.canceled') }));
    } else if (job.status === 'awaiting_review' && job.script) {
      if (!editing) editing = structuredClone(job.script);
      renderReview();
    } else {
      mount(body);
    }
  };

  const imageFor = async (index) => {
    const link = job.enhanced_images[index] || job.photos[index];
    if (!link) return null;
    const u = await blobUrl(link.url);
    urls.push(u);
    return u;
  };

  const renderReview = () => {
    const s = editing;
    const text = (label, value, onInput, multiline) => {
      const el = h(multiline ? 'textarea' : 'input', { type: multiline ? null : 'text', rows: multiline ? 2 : null, value: multiline ? null : value });
      if (multiline) el.value = value;
      el.addEventListener('input', () => onInput(el.value));
      const lid = `r${Math.random().toString(36).slice(2)}`;
      el.id = lid;
      return h('div', { class: 'field' }, h('label', { for: lid, text: label }), el);
    };
    const scenes = h('ol', { class: 'scenes' });
    s.scenes.forEach((scene, i) => {
      const img = h('img', { alt: t('review.photo', { n: scene.photo_index + 1 }) });
      imageFor(scene.photo_index).then((u) => { if (u) img.src = u; }).catch(() => {});
      const move = (d) => { const j = i + d; [s.scenes[i], s.scenes[j]] = [s.scenes[j], s.scenes[i]]; renderReview(); };
      scenes.append(h('li', { class: 'scene' }, h('div', { class: 'scene-photo' }, img),
        h('div', { class: 'scene-text' }, h('h3', { text: t('review.scene', { n: i + 1 }) }),
          text(t('review.caption'), scene.caption, (v) => { scene.caption = v; }),
          text(t('review.voiceover'), scene.voiceover, (v) => { scene.voiceover = v; }, true),
          h('div', { class: 'row tight' },
            h('button', { type: 'button', class: 'icon', disabled: i === 0, 'aria-label': t('review.up', { n: i + 1 }), onclick: () => move(-1) }, '↑'),
            h('button', { type: 'button', class: 'icon', disabled: i === s.scenes.length - 1, 'aria-label': t('review.down', { n: i + 1 }), onclick: () => move(1) }, '↓')))));
    });
    const price = h('p', { class: 'price' });
    api('GET', '/account').then((a) => {
      saveUser(a);
      price.textContent = a.free_trials_left > 0
        ? t('review.price_trial', { trials: a.free_trials_left, credits: a.credits })
        : t('review.price_credit', { cost: VIDEO_COST, credits: a.credits });
    }).catch(() => {});
    const save = async () => { job = await api('PUT', `/videos/${id}/script`, { json: editing }); editing = structuredClone(job.script); };
    const saveBtn = h('button', { type: 'button', class: 'secondary', text: t('review.save'), onclick: async () => {
      saveBtn.disabled = true;
      try { await save(); toast(t('review.saved')); refresh(); } catch (err) { fail(err); } finally { saveBtn.disabled = false; }
    } });
    const renderBtn = h('button', { type: 'button', text: t('review.render'), onclick: async () => {
      renderBtn.disabled = true;
      try {
        await save();
        job = await api('POST', `/videos/${id}/render`);
        editing = null;
        toast(t('review.rendering'));
        refresh();
        watch();
      } catch (err) { fail(err); } finally { renderBtn.disabled = false; }
    } });
    mount(body, h('section', { class: 'review' }, h('h2', { text: t('review.title') }), h('p', { class: 'muted', text: t('review.intro') }),
      text(t('review.title_field'), s.title, (v) => { s.title = v; }),
      text(t('review.hook'), s.hook, (v) => { s.hook = v; }, true),
      scenes,
      text(t('review.cta'), s.call_to_action, (v) => { s.call_to_action = v; }),
      price, h('div', { class: 'row' }, saveBtn, renderBtn)));
  };

  const refresh = () => {
    if (!alive || !job) return;
    renderHeader(); renderStages(); renderBody(); renderActions();
  };

  const load = async () => {
    try {
      job = await api('GET', `/videos/${id}`);
      mount(errors);
      refresh();
    } catch (err) { fail(err); }
  };

  const watch = () => {
    if (stop) stop();
    stop = follow(id, {
      onEvent: (ev) => {
        if (!alive || !job) return;
        if (ev.kind === 'stage' && ev.stage) {
          const st = job.stages.find((s) => s.name === ev.stage);
          if (st) { st.status = ev.status || st.status; st.note = ev.message || st.note; }
          renderStages();
        } else if (ev.kind === 'job') {
          // A change of the job's state: fetch the whole view (script, images, the public link).
          load();
        }
      },
      onState: (s) => { live.textContent = s === 'ended' ? '' : t(`live.${s}`); },
    });
  };

  load().then(() => { if (job && job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'canceled') watch(); });
  return () => { alive = false; if (stop) stop(); urls.forEach((u) => URL.revokeObjectURL(u)); };
}
