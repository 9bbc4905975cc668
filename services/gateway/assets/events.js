// A job's event stream, read with fetch so that it can carry the Authorization header (a
// browser's EventSource cannot send one, and a token in the URL would end up in logs). Resumes
// with Last-Event-ID after a dropped connection; after a reload it starts from the first event,
// which replays the job's whole history, so the progress shown is rebuilt from the server's record.
import { accessToken, refresh, session } from './api.js';

const FINAL = new Set(['succeeded', 'failed', 'canceled']);

/** Parses `text/event-stream` blocks out of `buffer`; returns [events, rest]. */
export function parseBlocks(buffer) {
  const events = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    const ev = { id: null, event: 'message', data: '' };
    let hasData = false;
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const name = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (name === 'id') ev.id = value;
      else if (name === 'event') ev.event = value;
      else if (name === 'data') { ev.data += (hasData ? '\n' : '') + value; hasData = true; }
    }
    if (hasData) events.push(ev);
  }
  return [events, rest];
}

/**
 * Follows job `id` until it ends or `stop()` is called. `onEvent(eventJson)` for every event;
 * `onState('live' | 'reconnecting' | 'ended')`. Returns `stop`.
 */
export function follow(id, { onEvent, onState = () => {} }) {
  let lastId = null;
  let stopped = false;
  let ctrl = null;
  let delay = 1000;
  let ended = false;

  const run = async () => {
    while (!stopped && !ended) {
      ctrl = new AbortController();
      try {
        const headers = { authorization: `Bearer ${await accessToken()}`, accept: 'text/event-stream' };
        if (lastId) headers['last-event-id'] = lastId;
        let res = await fetch(`/api/v1/videos/${encodeURIComponent(id)}/events`, { headers, signal: ctrl.signal });
        if (res.status === 401 && session()) {
          await refresh();
          continue;
        }
        if (res.status === 404) { ended = true; onState('ended'); return; }
        if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
        onState('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          let events;
          [events, buffer] = parseBlocks(buffer + value);
          for (const ev of events) {
            if (ev.id) lastId = ev.id;
            let data;
            try { data = JSON.parse(ev.data); } catch { continue; }
            if (ev.event === 'error') continue;
            onEvent(data);
            if (data.kind === 'job' && FINAL.has(data.status)) ended = true;
          }
        }
        // The server closes the stream after the job's final event, or at its time limits: then
        // reconnect and resume after the last event seen.
        if (ended) { onState('ended'); return; }
      } catch (e) {
        if (stopped) return;
        onState('reconnecting');
      }
      if (stopped || ended) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  // Resume at once when the connection comes back.
  const online = () => { if (ctrl) ctrl.abort(); };
  window.addEventListener('online', online);
  run().finally(() => window.removeEventListener('online', online));
  return () => { stopped = true; if (ctrl) ctrl.abort(); };
}
