// client.payments, client.members, client.users and client.companies.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BadRequestError, NotFoundError, PermissionDeniedError } from '@whop/sdk';
import { all, ids, newCompany, sdk } from '../lib/harness.mjs';

describe('payments', () => {
  // One membership paid at checkout and once renewed; one whose renewal was
  // declined (open, in dunning).
  let co;
  let plan;
  let good;
  let failing;
  before(async () => {
    co = await newCompany();
    plan = await co.plan({ initial_price: 25, renewal_price: 20 });
    good = await co.buy(plan, { behavior: 'succeed' });
    failing = await co.buy(plan, { behavior: 'decline_renewals' });
    await co.advanceDays(30);
  });

  test('list, with filters, and retrieve', async () => {
    const payments = await all(co.client.payments.list({ company_id: co.id, first: 1, direction: 'asc' }));
    assert.equal(payments.length, 4);
    const [first] = payments;
    assert.match(first.id, /^pay_[A-Za-z0-9]{14}$/);
    assert.equal(first.membership.id, good.membership.id);
    assert.equal(first.user.id, good.user.id);
    assert.equal(first.plan.id, plan.id);
    assert.equal(first.product.id, plan.product.id);
    assert.equal(first.company.id, co.id);
    assert.equal(first.billing_reason, 'subscription_create');
    assert.equal(first.status, 'paid');
    assert.equal(first.substatus, 'succeeded');
    assert.equal(first.total, 25);
    assert.equal(first.currency, 'usd');
    assert.ok(first.paid_at);
    assert.deepEqual(await co.client.payments.retrieve(first.id), first);

    const renewals = await all(co.client.payments.list({ company_id: co.id, billing_reasons: ['subscription_cycle'] }));
    assert.equal(renewals.length, 2);
    assert.ok(renewals.every((p) => p.total === 20));
    const open = await all(co.client.payments.list({ company_id: co.id, statuses: ['open'] }));
    assert.deepEqual(ids(open), [renewals.find((p) => p.membership.id === failing.membership.id).id]);
    assert.equal(open[0].substatus, 'failed');
    assert.equal(open[0].retryable, true);
    assert.equal(open[0].voidable, true);
    assert.ok(open[0].next_payment_attempt);
    assert.ok(open[0].failure_message);
    assert.equal((await all(co.client.payments.list({ company_id: co.id, plan_ids: [plan.id] }))).length, 4);
    assert.equal((await all(co.client.payments.list({ company_id: co.id, currencies: ['eur'] }))).length, 0);
    const newestFirst = await all(co.client.payments.list({ company_id: co.id, order: 'created_at' }));
    assert.deepEqual(ids(newestFirst), ids(payments).reverse());
  });

  test('retry: declined again, then paid with a new card', async () => {
    const [, open] = await co.payments(failing.membership.id);
    const declined = await co.client.payments.retry(open.id);
    assert.equal(declined.status, 'open');
    assert.equal(declined.substatus, 'failed');
    assert.equal((await co.client.memberships.retrieve(failing.membership.id)).status, 'past_due');
    await co.card(failing.user.id, 'succeed');
    const paid = await co.client.payments.retry(open.id);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.next_payment_attempt, null);
    assert.equal(paid.retryable, false);
    assert.equal((await co.client.memberships.retrieve(failing.membership.id)).status, 'active');
    await assert.rejects(co.client.payments.retry(open.id), (err) =>
      err instanceof BadRequestError && err.error.error.code === 'payment_not_retryable');
  });

  test('void an open payment', async () => {
    const { membership } = await co.buy(plan, { behavior: 'decline_renewals' });
    await co.advanceDays(30);
    const open = (await co.payments(membership.id)).find((p) => p.status === 'open');
    const voided = await co.client.payments.void(open.id);
    assert.equal(voided.status, 'void');
    assert.equal(voided.voidable, false);
    assert.equal(voided.next_payment_attempt, null);
    assert.equal((await co.client.payments.retrieve(open.id)).status, 'void');
    await assert.rejects(co.client.payments.void(open.id), (err) =>
      err instanceof BadRequestError && err.error.error.code === 'payment_not_voidable');
    // A voided payment is not retried: the dunning days pass without a charge.
    const { events } = await co.advanceDays(8);
    assert.deepEqual(events.filter((e) => e.data.id === open.id), []);
  });
});

describe('members and users', () => {
  let co;
  let plan;
  let bought;
  before(async () => {
    co = await newCompany();
    plan = await co.plan({ initial_price: 15 });
    bought = await co.buy(plan, { username: 'membera' });
    await co.buy(plan, { username: 'memberb' });
  });

  test('members: list and retrieve', async () => {
    const members = await all(co.client.members.list({ company_id: co.id, first: 1 }));
    assert.equal(members.length, 2);
    const mine = members.find((m) => m.user.id === bought.user.id);
    assert.equal(mine.id, bought.membership.member.id);
    assert.equal(mine.access_level, 'customer');
    assert.equal(mine.user.username, 'membera');
    assert.equal(mine.usd_total_spent, 15);
    const one = await co.client.members.retrieve(mine.id);
    assert.equal(one.id, mine.id);
    assert.equal(one.company.id, co.id);
    assert.equal(one.user.email, 'membera@example.com');
    assert.deepEqual(ids(await all(co.client.members.list({ company_id: co.id, user_ids: [bought.user.id] }))), [mine.id]);
  });

  test('users: retrieve, and the access check', async () => {
    const user = await co.client.users.retrieve(bought.user.id);
    assert.equal(user.id, bought.user.id);
    assert.equal(user.username, 'membera');
    for (const resource of [plan.product.id, plan.id]) {
      assert.deepEqual(await co.client.users.checkAccess(resource, { id: bought.user.id }), { access_level: 'customer', has_access: true });
    }
    const otherPlan = await co.plan();
    assert.deepEqual(await co.client.users.checkAccess(otherPlan.product.id, { id: bought.user.id }), { access_level: 'no_access', has_access: false });
    await co.client.memberships.cancel(bought.membership.id, { cancellation_mode: 'immediate' });
    assert.equal((await co.client.users.checkAccess(plan.product.id, { id: bought.user.id })).has_access, false);
    await assert.rejects(co.client.users.retrieve('user_xxxxxxxxxxxxx'), NotFoundError);
  });
});

describe('companies', () => {
  test('retrieve, create a child, list children, and a key for the child', async () => {
    const co = await newCompany();
    const me = await co.client.companies.retrieve(co.id);
    assert.equal(me.id, co.id);
    assert.equal(me.title, co.title);
    assert.equal(me.parent_company_id, null);

    const child = await co.client.companies.create({ title: 'Acme EU', parent_company_id: co.id, description: 'Europe', metadata: { region: 'eu' } });
    assert.match(child.id, /^biz_[A-Za-z0-9]{14}$/);
    assert.equal(child.parent_company_id, co.id);
    assert.equal(child.description, 'Europe');
    assert.deepEqual(child.metadata, { region: 'eu' });
    assert.deepEqual(ids(await all(co.client.companies.list({ parent_company_id: co.id }))), [child.id]);
    assert.equal((await co.client.companies.retrieve(child.id)).title, 'Acme EU');

    const key = await co.client.companies.createAPIKey(co.id, { child_company_id: child.id, name: 'eu ops' });
    assert.match(key.id, /\S/);
    assert.equal(key.name, 'eu ops');
    const childClient = sdk(key.secret_key);
    assert.equal((await childClient.companies.retrieve(child.id)).id, child.id);
    assert.deepEqual((await childClient.memberships.list({ company_id: child.id })).data, []);
    await assert.rejects(childClient.memberships.list({ company_id: co.id }), NotFoundError);

    const limited = await co.client.companies.createAPIKey(co.id, {
      child_company_id: child.id, role: 'moderator',
      permissions: [{ actions: ['company:basic:read'], grant: true, resources: [child.id] }],
    });
    const reader = sdk(limited.secret_key);
    assert.equal((await reader.companies.retrieve(child.id)).id, child.id);
    await assert.rejects(reader.memberships.list({ company_id: child.id }), PermissionDeniedError);
  });
});
