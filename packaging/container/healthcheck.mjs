// Container HEALTHCHECK: GET /-/healthy on the exporter's own port. Exit 0 = healthy.
// /-/healthy never needs basic auth. With TLS (web config) set KLP_HEALTHCHECK_URL=https://127.0.0.1:10055/-/healthy;
// the certificate is not verified here (the check only asks "is the process serving?").
import http from 'node:http';
import https from 'node:https';

const url = new URL(process.env.KLP_HEALTHCHECK_URL ?? 'http://127.0.0.1:10055/-/healthy');
const client = url.protocol === 'https:' ? https : http;
const req = client.get(url, { timeout: 4000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (err) => {
  console.error(`healthcheck ${url.href}: ${err.message}`);
  process.exit(1);
});
