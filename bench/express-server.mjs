// The ceiling for express: a minimal express app answering GET of the telemetry path with the
// same bytes from memory, with the app settings (expressApp) and headers of src/server/app.ts and none of the
// exporter's work (no collection, no rendering, no connection guard). The bench starts it with the
// node flags the product ships with. Usage: node express-server.mjs <port> <body file>
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { expressApp } from '../dist/server/app.js';

const [port, file] = process.argv.slice(2);
const body = readFileSync(file);
const app = expressApp();
app.get('/metrics', (_req, res) => {
  res.set({ 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' });
  res.send(body);
});
http.createServer(app).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
