// Every signed-in page but the bedside page (which lists them itself): what this device still holds
// unsent is sent as soon as any page of the app is open again (after signing back in, for one), and
// a line in the header says how much is waiting and where to see it.
import { Outbox } from './outbox.js';

const username = document.body.dataset.username;
if (username && !document.getElementById('outbox')) {
  const outbox = new Outbox(username);
  const line = document.createElement('p');
  line.className = 'outbox-line';
  line.setAttribute('role', 'status');
  line.hidden = true;
  document.querySelector('.topbar').append(line);
  const render = () => {
    const entries = outbox.entries();
    line.hidden = entries.length === 0;
    if (!entries.length) { line.replaceChildren(); return; }
    const link = document.createElement('a');
    link.href = `/sessions/${entries[0].sessionId}`;
    link.textContent = entries.length === 1 ? 'see it' : 'see the first';
    line.replaceChildren(`${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} not saved yet on this device: `, link);
  };
  outbox.onChange(render);
  render();
  outbox.flush();
}
