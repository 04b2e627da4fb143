// A webhook receiver as a developer writes one with the official Whop SDK:
// it unwraps (verifies) every POST with client.webhooks.unwrap and answers
// 200, or 400 when verification fails. It prints {"port": N} once
// listening, then one JSON line per request: {ok, id, type, data_id, error}.
// The secret comes from WHOP_WEBHOOK_SECRET.
import http from 'node:http';
import Whop from '@whop/sdk';

const secret = process.env.WHOP_WEBHOOK_SECRET || '';
const client = new Whop({
  apiKey: 'unused',
  webhookKey: secret.startsWith('whsec_') ? secret : btoa(secret),
});

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let line;
    try {
      const ev = client.webhooks.unwrap(body, { headers: req.headers });
      line = { ok: true, id: ev.id, type: ev.type, data_id: ev.data && ev.data.id, header_id: req.headers['webhook-id'] };
      res.writeHead(200).end('ok');
    } catch (e) {
      line = { ok: false, error: String(e.message || e) };
      res.writeHead(400).end('bad signature');
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
