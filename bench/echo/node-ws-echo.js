// Node `ws` echo server: the baseline for bench/echo (docs/benchmarks.md: herald >= 2.5x per CPU-second).
// Usage: node node-ws-echo.js PORT   (needs `ws`: NODE_PATH=tests/e2e/js/node_modules)
// Also serves as the Node ws peer for idle-memory runs (bench/memory): any path upgrades.
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 19300);
// perMessageDeflate off: herald's echo does not compress either.
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.on('SIGTERM', () => process.exit(0));
