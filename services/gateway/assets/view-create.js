// Making a video: 1 to 6 photos (picked or dropped, previewed, reordered, checked for type and
// size before upload), the description and options, then the upload with its progress. The
// server checks everything again; its refusal is shown as it says.
import { t, lang } from './i18n.js';
import { h, field, mount, errorBox } from './dom.js';
import { submitVideo, api, saveUser } from './api.js';

export const MAX_PHOTOS = 6;
export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
export const TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_DESCRIPTION = 500;
const JOB_LANGS = ['en', 'zh', 'es', 'fr', 'de', 'ja'];

/** A random idempotency key (crypto.randomUUID needs a secure context; this does not). */
function newKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, text: label, selected: v === value })));
}

export function createView(main) {
  const photos = []; // { file, url }
  const grid = h('ol', { class: 'photos', 'aria-label': t('create.photos') });
  const photoErrors = h('div', { 'aria-live': 'polite' });
  const picker = h('input', { type: 'file', id: 'photo-input', accept: TYPES.join(','), multiple: true, class: 'sr-only' });
  const pickLabel = h('label', { for: 'photo-input', class: 'button secondary', text: t('create.pick') });
  const drop = h('div', { class: 'drop' }, h('p', { text: t('create.drop') }), pickLabel, picker,
    h('p', { class: 'muted small', text: t('create.photo_rules', { n: MAX_PHOTOS, mb: MAX_PHOTO_BYTES / 1048576 }) }));
  // The label is the visible control; keyboard users reach the (hidden) input through it.
  pickLabel.tabIndex = 0;
  picker.tabIndex = -1;
  pickLabel.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.click(); } });

  let shown = '';
  const render = () => {
    // Other photos (or another order) make another form: it gets its own idempotency key.
    const sig = photos.map((p) => `${p.file.name}:${p.file.size}`).join('|');
    if (sig !== shown) { shown = sig; idemKey = newKey(); }
    mount(grid, photos.map((p, i) => h('li', { class: 'photo' },
      h('img', { src: p.url, alt: t('create.photo_n', { n: i + 1, name: p.file.name }) }),
      h('div', { class: 'row tight' },
        h('button', { type: 'button', class: 'icon', 'aria-label': t('create.move_up', { n: i + 1 }), disabled: i === 0,
          onclick: () => { [photos[i - 1], photos[i]] = [photos[i], photos[i - 1]]; render(); } }, '↑'),
        h('button', { type: 'button', class: 'icon', 'aria-label': t('create.move_down', { n: i + 1 }), disabled: i === photos.length - 1,
          onclick: () => { [photos[i + 1], photos[i]] = [photos[i], photos[i + 1]]; render(); } }, '↓'),
        h('button', { type: 'button', class: 'icon danger', 'aria-label': t('create.remove', { n: i + 1 }),
          onclick: () => { URL.revokeObjectURL(p.url); photos.splice(i, 1); render(); } }, '✕')))));
    submit.disabled = busy || photos.length === 0;
  };

  const add = (files) => {
    const problems = [];
    for (const file of files) {
      if (photos.length >= MAX_PHOTOS) { problems.push(t('create.too_many', { n: MAX_PHOTOS })); break; }
      if (!TYPES.includes(file.type)) { problems.push(t('create.bad_type', { name: file.name })); continue; }
      if (file.size > MAX_PHOTO_BYTES) { problems.push(t('create.too_big', { name: file.name, mb: MAX_PHOTO_BYTES / 1048576 })); continue; }
      photos.push({ file, url: URL.createObjectURL(file) });
    }
    mount(photoErrors, problems.map((p) => h('p', { class: 'error', role: 'alert', text: p })));
    render();
  };
  picker.addEventListener('change', () => { add([...picker.files]); picker.value = ''; });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); add([...e.dataTransfer.files]); });

  const description = h('textarea', { name: 'description', rows: 3, maxlength: MAX_DESCRIPTION, required: true });
  const count = h('span', { class: 'muted small' });
  const updateCount = () => { count.textContent = `${[...description.value].length} / ${MAX_DESCRIPTION}`; };
  description.addEventListener('input', updateCount);
  updateCount();
  const aspect = select('aspect_ratio', [['9:16', t('create.aspect_portrait')], ['16:9', t('create.aspect_landscape')], ['1:1', t('create.aspect_square')]], '9:16');
  const duration = select('duration_s', [5, 10, 15, 20, 30, 45, 60].map((d) => [String(d), t('create.seconds', { n: d })]), '15');
  const jobLang = select('language', JOB_LANGS.map((l) => [l, t(`lang.${l}`)]), JOB_LANGS.includes(lang()) ? lang() : 'en');
  const style = select('style', [['clean', t('create.style_clean')], ['bold', t('create.style_bold')], ['elegant', t('create.style_elegant')]], 'clean');
  // The narrator (of the video's language), the music and the captions: `auto` unless chosen.
  const voice = select('voice', [['auto', t('create.voice_auto')], ['none', t('create.voice_none')]], 'auto');
  const music = select('music', [['auto', t('create.music_auto')], ['none', t('create.music_none')]], 'auto');
  const captions = select('captions', [['burned', t('create.captions_burned')], ['none', t('create.captions_none')]], 'burned');
  let voiceList = [];
  const fillVoices = () => {
    const chosen = voice.value;
    const mine = voiceList.filter((v) => v.language === jobLang.value);
    mount(voice, [['auto', t('create.voice_auto')], ['none', t('create.voice_none')], ...mine.map((v) => [v.id, `${v.name} (${t(`create.gender_${v.gender}`)})`])]
      .map(([v, label]) => h('option', { value: v, text: label, selected: v === chosen })));
    if (![...voice.options].some((o) => o.selected)) voice.value = 'auto';
  };
  jobLang.addEventListener('change', fillVoices);
  api('GET', '/voices', { auth: false }).then((r) => { voiceList = r.voices; fillVoices(); }).catch(() => {});
  api('GET', '/music', { auth: false }).then((r) => {
    for (const tr of r.tracks) music.append(h('option', { value: tr.id, text: `${tr.title} (${tr.mood})` }));
  }).catch(() => {});
  const review = h('input', { type: 'checkbox', id: 'review', name: 'review' });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': t('create.uploading') });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', text: t('create.submit'), disabled: true });
  const balance = h('p', { class: 'muted' });
  let busy = false;
  // A retry of the same form after a dropped connection replays the first answer, never a
  // second job: one key per filled form.
  let idemKey = newKey();

  const form = h('form', { class: 'card', novalidate: true },
    h('h1', { text: t('create.title') }), balance,
    h('fieldset', {}, h('legend', { text: t('create.photos') }), drop, photoErrors, grid),
    field(t('create.description'), description, t('create.description_hint')), count,
    h('div', { class: 'grid2' }, field(t('create.aspect'), aspect), field(t('create.duration'), duration),
      field(t('create.language'), jobLang), field(t('create.style'), style),
      field(t('create.voice'), voice), field(t('create.music'), music), field(t('create.captions'), captions)),
    h('div', { class: 'check' }, review, h('label', { for: 'review', text: t('create.review') })),
    progress, errors, h('div', { class: 'row' }, submit));
  form.addEventListener('input', () => { idemKey = newKey(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(errors);
    if (!photos.length) { mount(errors, errorBox({ code: 'photos_required' })); return; }
    if (!description.value.trim()) { mount(errors, errorBox({ code: 'description_required' })); description.focus(); return; }
    const data = new FormData();
    for (const p of photos) data.append('photos', p.file, p.file.name);
    data.append('description', description.value.trim());
    const options = { aspect_ratio: aspect.value, duration_s: Number(duration.value), language: jobLang.value, style: style.value };
    if (review.checked) options.review = true;
    if (voice.value !== 'auto') options.voice = voice.value;
    if (music.value !== 'auto') options.music = music.value;
    if (captions.value !== 'burned') options.captions = captions.value;
    data.append('options', JSON.stringify(options));
    busy = true; submit.disabled = true; progress.hidden = false; progress.value = 0;
    try {
      const job = await submitVideo(data, idemKey, (f) => { progress.value = f; });
      photos.forEach((p) => URL.revokeObjectURL(p.url));
      location.hash = `#/videos/${job.id}`;
    } catch (err) {
      // Refused: the next try is a new request. Not sent (network): the same key retries safely.
      if (err.code !== 'network') idemKey = newKey();
      mount(errors, errorBox(err));
      errors.querySelector('[role=alert]')?.scrollIntoView({ block: 'nearest' });
    } finally { busy = false; progress.hidden = true; render(); }
  });
  mount(main, form);
  render();
  api('GET', '/account').then((a) => {
    saveUser(a);
    balance.textContent = t('balance', { credits: a.credits, trials: a.free_trials_left });
  }).catch(() => {});
  return () => photos.forEach((p) => URL.revokeObjectURL(p.url));
}
