// Verifies webhook requests with the standardwebhooks package and with the
// official Whop SDK's client.webhooks.unwrap, as a receiver would.
// stdin: [{secret, headers, body}]; stdout: [{standardwebhooks, sdk, id}],
// each check "ok" or its error message.
import { Webhook } from 'standardwebhooks';
import Whop from '@whop/sdk';

// The key each library is given: a ws_ secret's own bytes are the HMAC key,
// so it is passed base64-encoded (Whop's docs: webhookKey: btoa(secret)); a
// whsec_ secret is passed as it is.
const keyOf = (secret) => (secret.startsWith('whsec_') ? secret : btoa(secret));

const check = (f) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return String(e.message || e);
  }
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(({ secret, headers, body }) => {
  let id = null;
  const client = new Whop({ apiKey: 'unused', webhookKey: keyOf(secret) });
  return {
    standardwebhooks: check(() => new Webhook(keyOf(secret)).verify(body, headers)),
    sdk: check(() => {
      id = client.webhooks.unwrap(body, { headers }).id;
    }),
    id,
  };
});
process.stdout.write(JSON.stringify(out));
