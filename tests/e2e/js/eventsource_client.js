// A third-party SSE client (npm `eventsource` 4.x, the WHATWG EventSource for Node) for
// herald's end-to-end tests. Usage: node eventsource_client.js URL [LAST_EVENT_ID]
// Prints one JSON line per thing it sees, flushed at once:
//   {"type":"open"}
//   {"type":"message"|"recovery"|"reconnect","data":"...","lastEventId":"..."}
//   {"type":"error","message":"..."}
// and reconnects on its own as a browser would (the `retry:` delay, Last-Event-ID header).
// Requires eventsource from tests/e2e/js-sse/node_modules or tests/e2e/js/node_modules
// (the test sets NODE_PATH).
'use strict';
const { EventSource } = require('eventsource');

const url = process.argv[2];
const firstLastEventId = process.argv[3] || '';
let opened = 0;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const es = new EventSource(url, {
  // The first connection may carry a Last-Event-ID given by the test (as a browser resuming
  // after a page reload with a stored id would); later ones get the library's own header.
  fetch: (input, init) => {
    const headers = Object.assign({}, init.headers);
    if (opened === 0 && firstLastEventId) headers['Last-Event-ID'] = firstLastEventId;
    return fetch(input, Object.assign({}, init, { headers }));
  },
});

es.addEventListener('open', () => {
  opened++;
  emit({ type: 'open', n: opened });
});
for (const type of ['message', 'recovery', 'reconnect']) {
  es.addEventListener(type, (ev) => emit({ type, data: ev.data, lastEventId: ev.lastEventId }));
}
es.addEventListener('error', (ev) => emit({ type: 'error', message: String(ev.message || '') }));

process.on('SIGTERM', () => {
  es.close();
  process.exit(0);
});
