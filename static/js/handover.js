// The handover sheet, kept current: on every event of the clinic's live stream (the dashboard's) the
// server renders the blocks again and they replace the ones shown; once a minute too, so the minutes
// and "overdue" keep up with the clock. What a block says is decided on the server (views/handover.py).
import { send, status } from './forms.js';
import { connectLive } from './live.js';

const STATUS_WORDS = { connecting: 'Connecting…', 'catching-up': 'Catching up…', live: 'Live', disconnected: 'Disconnected', refused: 'Signed out' };
const connection = document.getElementById('connection');
const blocks = () => document.getElementById('handover-blocks');
const since = blocks().dataset.since;
let pending = null;

async function refresh() {
  pending = null;
  const response = await fetch(`/handover/blocks?since=${encodeURIComponent(since)}`, { headers: { Accept: 'text/html' } });
  if (!response.ok) return;
  const holder = document.createElement('div');
  holder.innerHTML = await response.text();
  blocks().replaceWith(holder.firstElementChild);
}

function soon() {
  if (!pending) pending = setTimeout(refresh, 50); // one re-read for a burst of events (a save and its alerts)
}

connectLive({
  scope: { dashboard: true },
  since: Number(blocks().dataset.lastSeq),
  onEvent: (event) => (event.type.startsWith('handover.') ? location.reload() : soon()),
  onStatus: (state) => { connection.dataset.state = state; connection.textContent = STATUS_WORDS[state]; },
  onReload: soon,
});
setInterval(soon, 60_000);
document.getElementById('print').addEventListener('click', () => window.print());

// Handing the sheet to the nurse taking over, and accepting one handed to you: the page is read again after.
const form = document.getElementById('hand-over');
if (form) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chairs = [...form.querySelectorAll('input[name=chairs]:checked')].map((box) => box.value);
    const answer = await send('POST', '/api/handovers', { to: form.elements.to.value, chairs, since, note: form.elements.note.value || null });
    if (answer.ok) location.reload();
    else status(form, answer.error.message, 'error');
  });
}
document.getElementById('handovers').addEventListener('click', async (event) => {
  const button = event.target.closest('[data-accept]');
  if (!button) return;
  button.disabled = true;
  const answer = await send('POST', `/api/handovers/${button.dataset.accept}/accept`, {});
  if (answer.ok) location.reload();
  else { button.disabled = false; button.after(` ${answer.error.message}`); }
});
