// The live stream (CONTRACT.md §3) for any page: connect to /live with the login cookie, subscribe to
// a scope with the last seq this page has, and hand every event to the page once, in seq order.
//
// After a drop socket.io reconnects by itself with exponential backoff (0.5 s doubling to 8 s,
// randomised so a whole clinic does not come back at once) and this module subscribes again with
// `since`: the server replays what was missed before its ack. Events that arrive before the ack are
// held and released in order afterwards; anything at or below the last seq seen is dropped, so
// nothing is missed and nothing is applied twice.
//
// Needs the socket.io client (static/vendor/socket.io.min.js) loaded as a classic script first.

const BACKOFF = { reconnectionDelay: 500, reconnectionDelayMax: 8000, randomizationFactor: 0.5 };

/**
 * scope: {dashboard: true} or {session_id: N}; since: the seq the page's data is current to.
 * onEvent(event) for each new event; onStatus(state, detail) with state one of "connecting", "catching-up",
 * "live" (detail: how many events were caught up), "behind" (detail: since when, a Date: the server's message
 * queue is unreachable, so changes made through other server processes come late; "live" again when it is
 * back), "disconnected" (detail: since when, a Date) and "refused" (the sign-in has ended; no retry);
 * onReload() when too much was missed to replay and the page should fetch its data afresh (events after that
 * keep coming). When the server says the sign-in ended (its idle or absolute timeout, CONTRACT.md §3) the
 * page is cleared to the login: onSignedOut(), by default to /login?next=<this page>.
 */
export function connectLive({ scope, since = 0, onEvent, onStatus = () => {}, onReload = () => location.reload(),
  onSignedOut = toLogin }) {
  let lastSeq = since;
  let held = null; // events that arrived while a subscribe is unanswered
  let downSince = null;
  const socket = window.io('/live', { transports: ['websocket'], ...BACKOFF });

  function deliver(event) {
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    onEvent(event);
  }

  function subscribe() {
    held = [];
    const before = lastSeq;
    onStatus('catching-up');
    socket.emit('subscribe', { ...scope, since: lastSeq }, (ack) => {
      const waiting = held.sort((a, b) => a.seq - b.seq);
      held = null;
      if (ack && ack.reload) { // too far behind to replay: start afresh from a new picture, then carry on
        lastSeq = Math.max(lastSeq, ack.last_seq);
        downSince = null;
        onReload();
        onStatus('live', 0);
        return;
      }
      if (!ack || !ack.ok) { onStatus('disconnected', downSince || new Date()); return; }
      if (ack.last_seq < before) { location.reload(); return; } // not the log this page was built from
      waiting.forEach(deliver);
      lastSeq = Math.max(lastSeq, ack.last_seq);
      downSince = null;
      onStatus('live', waiting.filter((e) => e.seq > before).length);
      if (ack.behind_since) onStatus('behind', new Date(ack.behind_since));
    });
  }

  socket.on('connect', subscribe);
  socket.on('event', (event) => { if (held) held.push(event); else deliver(event); });
  socket.on('status', (body) => {
    if (body.behind_since) onStatus('behind', new Date(body.behind_since));
    else onStatus('live', 0);
  });
  socket.on('signed_out', () => { socket.close(); onStatus('refused'); onSignedOut(); });
  socket.on('disconnect', (reason) => {
    held = null;
    if (reason === 'io server disconnect') { onStatus('refused'); return; } // signed out elsewhere
    downSince = downSince || new Date();
    onStatus('disconnected', downSince);
  });
  socket.on('connect_error', () => {
    if (!socket.active) { onStatus('refused'); return; } // the server said no: the sign-in has ended
    downSince = downSince || new Date();
    onStatus('disconnected', downSince);
  });
  onStatus('connecting');

  return {
    lastSeq: () => lastSeq,
    close: () => socket.close(),
  };
}

function toLogin() {
  document.body.replaceChildren(); // nothing of the record stays on screen
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}
