// Every parameter the SDK declares for the methods memberd serves is one
// memberd knows: sent alone, it never gets 400 parameter_unknown (a bad
// sample value may get another 4xx, which is fine: the name is known).
// The parameters are read from the SDK's own .d.ts files, so a new SDK
// version's parameters are checked without editing this file.
//
// knownGaps are the SDK's parameters memberd does not handle yet; a gap that
// closes (or a new one) fails the test, so the list stays true.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { APIError } from '@whop/sdk';
import { newCompany } from '../lib/harness.mjs';
import { fields } from '../lib/sdktypes.mjs';

const knownGaps = new Set([]);

// A value of the declared type; its content does not matter here.
function sample(type) {
  if (type.startsWith('Array<')) return ['x'];
  if (/^boolean\b/.test(type)) return true;
  if (/^number\b/.test(type)) return 1;
  return 'x';
}

let co;
let fixture;
before(async () => {
  co = await newCompany();
  const plan = await co.plan();
  const { membership, user } = await co.buy(plan);
  const webhook = await co.client.webhooks.create({ url: 'http://localhost:9/unused' });
  fixture = { plan, membership, user, webhook };
});

test("memberd knows every parameter the SDK declares for what it serves", async () => {
  const c = co.client;
  const { plan, membership, user, webhook } = fixture;
  // [method, SDK module, params interface, call with params]
  const methods = [
    ['memberships.list', 'memberships', 'MembershipListParams', (p) => c.memberships.list({ company_id: co.id, ...p })],
    ['memberships.update', 'memberships', 'MembershipUpdateParams', (p) => c.memberships.update(membership.id, p)],
    ['memberships.cancel', 'memberships', 'MembershipCancelParams', (p) => c.memberships.cancel(membership.id, p)],
    ['memberships.pause', 'memberships', 'MembershipPauseParams', (p) => c.memberships.pause(membership.id, p)],
    ['memberships.addFreeDays', 'memberships', 'MembershipAddFreeDaysParams', (p) => c.memberships.addFreeDays(membership.id, p)],
    ['products.list', 'products', 'ProductListParams', (p) => c.products.list(p)],
    ['products.create', 'products', 'ProductCreateParams', (p) => c.products.create(p)],
    ['products.update', 'products', 'ProductUpdateParams', (p) => c.products.update(plan.product.id, p)],
    ['plans.list', 'plans', 'PlanListParams', (p) => c.plans.list(p)],
    ['plans.create', 'plans', 'PlanCreateParams', (p) => c.plans.create(p)],
    ['plans.update', 'plans', 'PlanUpdateParams', (p) => c.plans.update(plan.id, p)],
    ['payments.list', 'payments', 'PaymentListParams', (p) => c.payments.list({ company_id: co.id, ...p })],
    ['promoCodes.list', 'promo-codes', 'PromoCodeListParams', (p) => c.promoCodes.list({ company_id: co.id, ...p })],
    ['promoCodes.create', 'promo-codes', 'PromoCodeCreateParams', (p) => c.promoCodes.create(p)],
    ['members.list', 'members', 'MemberListParams', (p) => c.members.list({ company_id: co.id, ...p })],
    ['users.retrieve', 'users', 'UserRetrieveParams', (p) => c.users.retrieve(user.id, p)],
    ['companies.list', 'companies', 'CompanyListParams', (p) => c.companies.list(p)],
    ['companies.create', 'companies', 'CompanyCreateParams', (p) => c.companies.create(p)],
    ['companies.createAPIKey', 'companies', 'CompanyCreateAPIKeyParams', (p) => c.companies.createAPIKey(co.id, p)],
    ['webhooks.list', 'webhooks', 'WebhookListParams', (p) => c.webhooks.list({ company_id: co.id, ...p })],
    ['webhooks.create', 'webhooks', 'WebhookCreateParams', (p) => c.webhooks.create(p)],
    ['webhooks.update', 'webhooks', 'WebhookUpdateParams', (p) => c.webhooks.update(webhook.id, p)],
  ];
  const unknown = [];
  let checked = 0;
  for (const [method, mod, params, call] of methods) {
    for (const f of fields(mod, params)) {
      const value = /^(company_id|account_id|parent_company_id)$/.test(f.name) ? co.id : sample(f.type);
      checked++;
      try {
        await call({ [f.name]: value });
      } catch (err) {
        if (!(err instanceof APIError) || err.status >= 500) throw err;
        if (err.status === 400 && err.error.error.code === 'parameter_unknown') {
          assert.equal(err.error.error.param, f.name);
          unknown.push(`${method}: ${f.name}`);
        }
      }
    }
  }
  assert.ok(checked > 150, `${checked} parameters checked`);
  const newGaps = unknown.filter((u) => !knownGaps.has(u));
  const closed = [...knownGaps].filter((g) => !unknown.includes(g));
  assert.deepEqual(newGaps, [], 'SDK parameters memberd answers with parameter_unknown');
  assert.deepEqual(closed, [], 'gaps that are closed now: take them off knownGaps');
});
