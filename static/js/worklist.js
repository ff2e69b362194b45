// The worklist page: sign a record from its row, and keep the list current from the live stream
// (a signature, an alert, a REMS form or a new reading anywhere may change it) without a reload.
import { connectLive } from './live.js';
import { send, status } from './forms.js';

const root = document.getElementById('worklist');
const liveLine = document.getElementById('worklist-live');
let refreshing = null;

async function refresh() {
  const response = await fetch('/worklist/panel', { credentials: 'same-origin' });
  if (!response.ok) return;
  root.innerHTML = await response.text();
  const count = root.querySelector('[data-count]');
  const header = document.getElementById('worklist-count');
  if (count && header) header.textContent = count.dataset.count;
}

function soon() { // many events in a burst: one fetch
  clearTimeout(refreshing);
  refreshing = setTimeout(refresh, 100);
}

root.addEventListener('submit', async (event) => {
  const form = event.target.closest('.sign-form');
  if (!form) return;
  event.preventDefault();
  const body = { password: form.elements.password.value, meaning: form.elements.meaning.value };
  status(form, 'Signing…');
  const answer = await send('POST', `/api/sessions/${form.dataset.sessionId}/sign`, body);
  if (answer.ok) status(form, 'Signed.', 'ok');
  else status(form, answer.error.message, 'error');
});

connectLive({
  scope: { dashboard: true },
  since: Number(root.dataset.lastSeq),
  onEvent: soon,
  onStatus: (state) => { liveLine.textContent = state === 'live' ? '' : `Live updates: ${state}`; },
  onReload: refresh,
});
