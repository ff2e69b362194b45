// Nothing typed is lost: every clinical save is written to localStorage with an idempotency key
// before it is sent. When the server cannot be reached the entry stays, is shown as "not saved
// yet" and is sent again automatically; the key makes the server store it exactly once however
// many times it arrives (a reply lost on the way back included).
import { send, newKey } from './forms.js';

const STORE = 'monitor.outbox.v1';
const FIRST_RETRY_MS = 2000;
const LONGEST_RETRY_MS = 10000;

function load() {
  try { return JSON.parse(localStorage.getItem(STORE)) || []; } catch (error) { return []; }
}

function save(entries) {
  localStorage.setItem(STORE, JSON.stringify(entries));
}

function keep(result) {
  // Down, unreachable, signed out or a stale page token: worth sending again later.
  const csrf = result.status === 403 && result.error && result.error.fields && 'X-CSRFToken' in result.error.fields;
  return result.offline || result.status === 401 || csrf;
}

function waitingMessage(result) {
  if (result.status === 401) return 'not saved yet: signed out, sign in again to send it';
  if (result.status === 403) return 'not saved yet: reload the page to send it';
  return 'not saved yet: the server cannot be reached, retrying';
}

export class Outbox {
  constructor(username) {
    this.username = username;
    this.listeners = [];
    this.delay = FIRST_RETRY_MS;
    this.timer = null;
    this.flushing = false;
    this.sending = new Set(); // the forms whose save is on its way
    window.addEventListener('online', () => this.flush());
    window.addEventListener('storage', (event) => { if (event.key === STORE) this.notify({ type: 'changed' }); });
  }

  entries() { return load().filter((entry) => entry.user === this.username); }

  onChange(listener) { this.listeners.push(listener); }

  notify(change) { for (const listener of this.listeners) listener(change); }

  update(key, changes) {
    save(load().map((entry) => (entry.key === key ? { ...entry, ...changes } : entry)));
    this.notify({ type: 'changed' });
  }

  remove(key) {
    save(load().filter((entry) => entry.key !== key));
    this.notify({ type: 'changed' });
  }

  // Save through the outbox: stored locally first, then sent. Resolves with send()'s result,
  // plus `queued: true` when it was kept for later.
  // `key`: the action's own Idempotency-Key when it is sent again (an unusual value confirmed).
  async submit({ url, body, label, sessionId, key }) {
    const entry = { key: key || newKey(), url, body, label, sessionId, user: this.username, created: Date.now(), state: 'sending' };
    save([...load(), entry]);
    const result = await send('POST', url, body, { idempotencyKey: entry.key });
    if (result.ok) {
      this.remove(entry.key);
      return result;
    }
    if (keep(result)) {
      this.update(entry.key, { state: 'waiting', message: waitingMessage(result) });
      this.schedule();
      return { ...result, queued: true };
    }
    this.remove(entry.key);
    return result;
  }

  // One action, one key: while `form`'s save is on its way, another press of it (a double click) sends
  // nothing and resolves null; the form's own code re-sends a confirmed action under its key.
  async submitOnce(form, entry) {
    if (this.sending.has(form)) return null;
    this.sending.add(form);
    try {
      return await this.submit(entry);
    } finally {
      this.sending.delete(form);
    }
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delay);
    this.delay = Math.min(this.delay * 1.5, LONGEST_RETRY_MS);
  }

  // Send what is waiting, oldest first; stop at the first that still cannot get through.
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const entry of this.entries().filter((e) => e.state !== 'refused')) {
        const result = await send('POST', entry.url, entry.body, { idempotencyKey: entry.key });
        if (result.ok) {
          this.remove(entry.key);
          this.delay = FIRST_RETRY_MS;
          this.notify({ type: 'sent', entry, data: result.data });
        } else if (keep(result)) {
          this.update(entry.key, { state: 'waiting', message: waitingMessage(result) });
          break;
        } else {
          const code = result.error.code;
          this.update(entry.key, { state: 'refused', code, message: `refused: ${result.error.message}` });
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.entries().some((e) => e.state !== 'refused')) this.schedule();
  }

  // A refused entry the user confirms (an unusual value) goes back in the queue with confirm set.
  confirm(key) {
    const entry = this.entries().find((e) => e.key === key);
    if (!entry) return;
    this.update(key, { state: 'waiting', body: { ...entry.body, confirm: true }, message: 'not saved yet: sending' });
    this.flush();
  }
}

// The "Not saved yet" list: what is waiting, why, and what can be done about a refusal.
export function mountOutbox(section, outbox) {
  const list = section.querySelector('ul');
  const render = () => {
    const entries = outbox.entries();
    section.hidden = entries.length === 0;
    list.replaceChildren(...entries.map((entry) => {
      const item = document.createElement('li');
      item.className = `outbox-entry outbox-${entry.state}`;
      const text = document.createElement('span');
      text.textContent = `${entry.label}: ${entry.message || 'not saved yet: sending'}`;
      item.append(text);
      if (entry.state === 'refused' && entry.code === 'needs_confirmation') {
        item.append(' ', button(`Confirm and send ${entry.label}`, 'Confirm and send', () => outbox.confirm(entry.key)));
      }
      if (entry.state === 'refused') {
        item.append(' ', button(`Discard ${entry.label}`, 'Discard', () => {
          if (window.confirm(`Discard ${entry.label}? It was refused and is not in the record.`)) outbox.remove(entry.key);
        }));
      }
      return item;
    }));
  };
  outbox.onChange(render);
  render();
  outbox.flush();
}

function button(name, text, action) {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'small';
  element.textContent = text;
  element.setAttribute('aria-label', name);
  element.addEventListener('click', action);
  return element;
}
