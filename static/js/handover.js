// The handover sheet, kept current: on every event of the clinic's live stream (the dashboard's) the
// server renders the blocks again and they replace the ones shown; once a minute too, so the minutes
// and "overdue" keep up with the clock. What a block says is decided on the server (views/handover.py).
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
  onEvent: soon,
  onStatus: (state) => { connection.dataset.state = state; connection.textContent = STATUS_WORDS[state]; },
  onReload: soon,
});
setInterval(soon, 60_000);
document.getElementById('print').addEventListener('click', () => window.print());
