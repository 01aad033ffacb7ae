// The ceiling for Node: a bare node:http server answering every request with the same bytes from
// memory, with the headers the exporter sends. Usage: node bare-server.mjs <port> <body file>
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [port, file] = process.argv.slice(2);
const body = readFileSync(file);
const headers = { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' };
const server = http.createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
