// The harness every test file imports. run.mjs (npm test) starts one
// memberd for the whole suite (lib/memberd.mjs) and passes it in the
// environment; here each test gets its own company (made with the memberd
// CLI, so its own clock too), the official SDK pointed at memberd, and
// memberd's test helpers.
//
// Every response the SDK receives goes through a fetch hook that checks it
// (lib/validate.mjs: each Membership against seed 000's schema, every object
// against the SDK's declared type, errors against the error envelope); a
// test fails, after it runs, if any response it caused broke the contract.
//
// Webhooks: webhookReceiver (at the end of this file) is an endpoint on
// 127.0.0.1 that checks what memberd delivers with client.webhooks.unwrap.

import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach } from 'node:test';
import Whop from '@whop/sdk';
import { cli } from './memberd.mjs';
import { responseProblems, schemaProblems } from './validate.mjs';

const { MEMBERD_URL, MEMBERD_BINARY, MEMBERD_DATABASE } = process.env;
if (!MEMBERD_URL || !MEMBERD_BINARY || !MEMBERD_DATABASE) {
  throw new Error('run the conformance suite with `npm test` (it starts memberd and sets MEMBERD_URL)');
}

/** The v1 base URL the SDK is given. */
export const baseURL = `${MEMBERD_URL}/api/v1`;

export const SECOND = 1000;
export const DAY = 86_400 * SECOND;

/** Milliseconds since the epoch of an ISO timestamp memberd rendered. */
export const ms = (iso) => Date.parse(iso);

/** iso plus n days, rendered the way memberd renders times. */
export const plusDays = (iso, n) => new Date(ms(iso) + n * DAY).toISOString();

/** iso plus deltaMs milliseconds. */
export const at = (iso, deltaMs) => new Date(ms(iso) + deltaMs).toISOString();

/** Every item of a list, through the SDK's auto-pagination. */
export async function all(page) {
  const out = [];
  for await (const item of page) out.push(item);
  return out;
}

/** The ids of objects. */
export const ids = (objects) => objects.map((o) => o.id);

// Broken promises found by the fetch hook, checked after each test.
const problems = [];
afterEach(() => {
  const found = [...new Set(problems.splice(0))];
  if (found.length > 0) assert.fail(`memberd answered what the SDK or seed 000 does not allow:\n${found.join('\n')}`);
});

// requests counts the requests sent, by "METHOD /path".
export const requests = new Map();

/** Records what a response breaks; returns the response untouched. */
async function inspect(method, url, response) {
  const path = new URL(url).pathname.replace(/^\/api\/v1/, '');
  const key = `${method} ${path}`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  const text = await response.clone().text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`${key} -> ${response.status}: not JSON: ${text.slice(0, 200)}`);
    return response;
  }
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) {
    problems.push(`${key} -> ${response.status}: Content-Type ${response.headers.get('content-type')}`);
  }
  for (const p of responseProblems(method, path, response.status, body)) problems.push(`${key} -> ${response.status}: ${p}`);
  return response;
}

async function checkedFetch(url, init = {}) {
  return inspect((init.method ?? 'GET').toUpperCase(), String(url), await fetch(url, init));
}

/**
 * The official SDK as a user makes it. Retries are off: a retried request
 * would hide an error answer that should not have happened.
 */
export function sdk(apiKey, options = {}) {
  return new Whop({ apiKey, baseURL, maxRetries: 0, fetch: checkedFetch, ...options });
}

let companies = 0;

/** A new company (memberd CLI) with its own clock, its key and an SDK client. */
export async function newCompany(title = `Conformance ${++companies} ${process.pid}`) {
  const { company_id, api_key } = await cli(MEMBERD_BINARY, MEMBERD_DATABASE, ['company', 'create', '--title', title]);
  return new Company(company_id, api_key, title);
}

/** A company under test: its SDK client, test helpers, and fixtures. */
export class Company {
  constructor(id, apiKey, title) {
    this.id = id;
    this.title = title;
    this.apiKey = apiKey;
    this.client = sdk(apiKey);
  }

  /** A new API key of this company with only these permissions (memberd CLI). */
  async key(permissions) {
    const { api_key } = await cli(MEMBERD_BINARY, MEMBERD_DATABASE,
      ['apikey', 'create', '--company', this.id, '--permissions', permissions.join(',')]);
    return api_key;
  }

  /** Calls a test helper (memberd's own, not in the SDK) and returns its answer. */
  async helper(method, path, body) {
    const url = `${baseURL}/test_helpers${path}`;
    const res = await checkedFetch(url, {
      method,
      headers: { Authorization: `Bearer ${this.apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  user(username, extra = {}) {
    return this.helper('POST', '/users', { username, email: `${username}@example.com`, ...extra });
  }

  card(userID, behavior) {
    return this.helper('POST', '/payment_methods', { user_id: userID, behavior });
  }

  checkout(planID, userID, extra = {}) {
    return this.helper('POST', '/checkouts', { plan_id: planID, user_id: userID, ...extra });
  }

  customerCancel(membershipID, body) {
    return this.helper('POST', `/memberships/${membershipID}/customer_cancel`, body);
  }

  async now() {
    return (await this.helper('GET', '/clock')).now;
  }

  /** Moves the company's clock: {seconds} or {to}; answers {now, events}. */
  advance(by) {
    return this.helper('POST', '/clock/advance', by);
  }

  advanceDays(days) {
    return this.advance({ seconds: Math.round(days * 86_400) });
  }

  /** Moves the clock to an ISO instant. */
  advanceTo(iso) {
    return this.advance({ to: iso });
  }

  /** A product of this company. */
  product(params = {}) {
    return this.client.products.create({ account_id: this.id, title: 'Pro', ...params });
  }

  /** A plan: by default renewing every 30 days at 10 usd, no trial. */
  async plan(params = {}) {
    const productID = params.product_id ?? (await this.product()).id;
    return this.client.plans.create({
      account_id: this.id, product_id: productID, plan_type: 'renewal', initial_price: 10, renewal_price: 10,
      billing_period: 30, currency: 'usd', ...params,
    });
  }

  /**
   * A user who bought plan: {user, membership}. behavior is the card's
   * (succeed, decline, decline_renewals), none by default (charges succeed).
   */
  async buy(plan, { username = `u${Math.random().toString(36).slice(2, 10)}`, behavior, ...extra } = {}) {
    const user = await this.user(username);
    if (behavior) extra.payment_method_id = (await this.card(user.id, behavior)).id;
    const membership = await this.checkout(plan.id, user.id, extra);
    return { user, membership };
  }

  /** Every payment of a membership, oldest first (SDK 0.0.42 has no membership filter). */
  async payments(membershipID) {
    const out = [];
    for await (const p of this.client.payments.list({ company_id: this.id, direction: 'asc' })) {
      if (p.membership.id === membershipID) out.push(p);
    }
    return out;
  }
}

/** Asserts value is a Membership by seed 000's schema (formats asserted). */
export function assertMembership(value) {
  assert.deepEqual(schemaProblems('Membership', value), []);
  return value;
}

/** The types of events, in order. */
export const types = (events) => events.map((e) => e.type);

/** The events about object id, in order. */
export const about = (events, id) => events.filter((e) => e.data.id === id);

/**
 * A webhook endpoint on 127.0.0.1, registered with client.webhooks.create
 * (params added), as a developer writes one: it checks every request with
 * client.webhooks.unwrap, keyed with btoa(secret) as Whop's docs say, and
 * answers 200, or 400 when the check fails. `received` holds what it
 * verified ({event, headers}), `refused` the errors of the rest.
 */
export async function webhookReceiver(client, params = {}) {
  const received = [];
  const refused = [];
  let key;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        received.push({ event: client.webhooks.unwrap(body, { headers: req.headers, key }), headers: req.headers, body });
        res.writeHead(200).end();
      } catch (err) {
        refused.push(String(err.message ?? err));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const hook = await client.webhooks.create({ url: `http://127.0.0.1:${server.address().port}/webhooks`, ...params });
  key = btoa(hook.webhook_secret);
  return {
    hook,
    received,
    refused,
    /** Waits until n requests have been verified (15 s at most). */
    async waitFor(n) {
      for (const deadline = Date.now() + 15_000; received.length < n; await new Promise((ok) => setTimeout(ok, 20))) {
        if (Date.now() > deadline) assert.fail(`${received.length} of ${n} webhooks arrived; refused: ${refused.join('; ')}`);
      }
      return received.slice(0, n);
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}
