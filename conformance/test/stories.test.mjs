// Stories across time: each company has its own clock, moved forward with
// the test helper; the SDK then reads what the lifecycle did (statuses,
// periods, payments) and the advance answers the events it fired, each
// stamped at the instant its work fell due.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECOND, about, at, newCompany, plusDays, types } from '../lib/harness.mjs';

test('trial to active: the warning 3 days before, then the first paid charge', async () => {
  const co = await newCompany();
  const plan = await co.plan({ trial_period_days: 14, initial_price: 12, renewal_price: 10 });
  const { membership, user } = await co.buy(plan, { behavior: 'succeed' });
  assert.equal(membership.status, 'trialing');
  const start = membership.created_at;
  assert.equal(membership.renewal_period_start, start);
  assert.equal(membership.renewal_period_end, plusDays(start, 14));
  assert.deepEqual(await co.payments(membership.id), [], 'nothing is charged at checkout');
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, true);

  let { events } = await co.advanceTo(plusDays(start, 11));
  assert.deepEqual(types(events), ['membership.trial_ending_soon']);
  assert.equal(events[0].data.id, membership.id);
  assert.equal(events[0].timestamp, plusDays(start, 11));

  ({ events } = await co.advanceTo(at(plusDays(start, 14), -SECOND)));
  assert.deepEqual(events, []);
  assert.equal((await co.client.memberships.retrieve(membership.id)).status, 'trialing');

  ({ events } = await co.advanceTo(plusDays(start, 14)));
  assert.deepEqual(types(events), ['payment.created', 'payment.succeeded']);
  assert.ok(events.every((e) => e.timestamp === plusDays(start, 14)));
  const m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'active');
  assert.equal(m.renewal_period_start, plusDays(start, 14));
  assert.equal(m.renewal_period_end, plusDays(start, 44));
  const [first] = await co.payments(membership.id);
  assert.equal(first.id, events[0].data.id);
  assert.equal(first.billing_reason, 'subscription_create');
  assert.equal(first.total, 12, 'the first paid charge is the initial price');
  assert.equal(first.status, 'paid');
  assert.equal(first.created_at, plusDays(start, 14));

  ({ events } = await co.advanceTo(plusDays(start, 44)));
  assert.deepEqual(types(events), ['payment.created', 'payment.succeeded']);
  const renewal = (await co.payments(membership.id))[1];
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(renewal.total, 10, 'later charges are the renewal price');
});

test('failed renewal: past_due, retries 1, 3 and 7 days after the failure, then expired', async () => {
  const co = await newCompany();
  const plan = await co.plan({ initial_price: 10, renewal_price: 10 });
  const { membership, user } = await co.buy(plan, { behavior: 'decline_renewals' });
  assert.equal(membership.status, 'active');
  const start = membership.created_at;
  const failedAt = plusDays(start, 30);

  let { events } = await co.advanceTo(failedAt);
  assert.deepEqual(types(events), ['payment.created', 'payment.failed', 'membership.deactivated']);
  assert.ok(events.every((e) => e.timestamp === failedAt));
  let m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'past_due');
  assert.equal(m.renewal_period_start, failedAt, 'the period rolls forward all the same');
  assert.equal(m.renewal_period_end, plusDays(start, 60));
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, false);
  let open = (await co.payments(membership.id))[1];
  assert.equal(open.id, events[0].data.id);
  assert.equal(open.status, 'open');
  assert.equal(open.substatus, 'failed');
  assert.equal(open.billing_reason, 'subscription_cycle');
  assert.equal(open.payments_failed, 1);
  assert.equal(open.next_payment_attempt, plusDays(failedAt, 1));

  for (const [day, next] of [[1, 3], [3, 7]]) {
    ({ events } = await co.advanceTo(at(plusDays(failedAt, day), -SECOND)));
    assert.deepEqual(events, [], `nothing before the day-${day} retry`);
    ({ events } = await co.advanceTo(plusDays(failedAt, day)));
    assert.deepEqual(types(events), ['payment.failed']);
    assert.equal(events[0].data.id, open.id);
    assert.equal(events[0].timestamp, plusDays(failedAt, day));
    open = await co.client.payments.retrieve(open.id);
    assert.equal(open.status, 'open');
    assert.equal(open.next_payment_attempt, plusDays(failedAt, next));
    assert.equal((await co.client.memberships.retrieve(membership.id)).status, 'past_due');
  }

  ({ events } = await co.advanceTo(plusDays(failedAt, 7)));
  assert.deepEqual(types(events), ['payment.failed'], 'the last retry; no second deactivation');
  assert.equal(events[0].timestamp, plusDays(failedAt, 7));
  open = await co.client.payments.retrieve(open.id);
  assert.equal(open.status, 'uncollectible');
  assert.equal(open.next_payment_attempt, null);
  m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'expired');

  ({ events } = await co.advanceDays(60));
  assert.deepEqual(about(events, membership.id), [], 'an expired membership is never charged again');
  assert.equal((await co.payments(membership.id)).length, 2);
});

test('a retry that succeeds makes the membership active again', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership, user } = await co.buy(plan, { behavior: 'decline_renewals' });
  await co.advanceTo(plusDays(membership.created_at, 30));
  await co.card(user.id, 'succeed');
  const { events } = await co.advanceDays(1);
  assert.deepEqual(types(events), ['payment.succeeded', 'membership.activated']);
  const m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'active');
  assert.equal(m.renewal_period_end, plusDays(membership.created_at, 60));
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, true);
});

test('pause across several periods: no charges, access kept, then resume', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership, user } = await co.buy(plan);
  const start = membership.created_at;
  assert.equal((await co.client.memberships.pause(membership.id)).payment_collection_paused, true);

  let { events } = await co.advanceTo(plusDays(start, 95));
  assert.deepEqual(events, [], 'three period ends pass without a charge or an event');
  let m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'active');
  assert.equal(m.payment_collection_paused, true);
  assert.equal(m.renewal_period_start, plusDays(start, 90));
  assert.equal(m.renewal_period_end, plusDays(start, 120));
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, true);
  assert.equal((await co.payments(membership.id)).length, 1);

  m = await co.client.memberships.resume(membership.id);
  assert.equal(m.payment_collection_paused, false);
  ({ events } = await co.advanceTo(at(plusDays(start, 120), -SECOND)));
  assert.deepEqual(events, [], 'the next charge is at the current period end');
  ({ events } = await co.advanceTo(plusDays(start, 120)));
  assert.deepEqual(types(events), ['payment.created', 'payment.succeeded']);
  assert.equal(events[0].timestamp, plusDays(start, 120));
  const payments = await co.payments(membership.id);
  assert.equal(payments.length, 2);
  assert.equal(payments[1].created_at, plusDays(start, 120));
});

test('pause with resumes_at ends by itself; a paused trial becomes active without a charge', async () => {
  const co = await newCompany();
  const plan = await co.plan({ trial_period_days: 10 });
  const { membership } = await co.buy(plan);
  const start = membership.created_at;
  const resumesAt = plusDays(start, 45);
  await co.client.memberships.pause(membership.id, { resumes_at: resumesAt });

  let { events } = await co.advanceTo(plusDays(start, 11));
  assert.deepEqual(types(about(events, membership.id)), ['membership.trial_ending_soon']);
  let m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'active', 'the trial ended');
  assert.equal(m.renewal_period_start, plusDays(start, 10));
  assert.equal(m.payment_collection_paused, true);
  assert.deepEqual(await co.payments(membership.id), []);

  ({ events } = await co.advanceTo(at(resumesAt, SECOND)));
  assert.deepEqual(events, [], 'the day-40 period end rolls without a charge; the pause ends without an event');
  m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.payment_collection_paused, false);
  assert.equal(m.renewal_period_end, plusDays(start, 70));

  ({ events } = await co.advanceTo(plusDays(start, 70)));
  assert.deepEqual(types(events), ['payment.created', 'payment.succeeded']);
});

test('pause with void_payments: the open payment is voided and never retried', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership } = await co.buy(plan, { behavior: 'decline_renewals' });
  await co.advanceTo(plusDays(membership.created_at, 30));
  const open = (await co.payments(membership.id))[1];
  assert.equal(open.status, 'open');

  const m = await co.client.memberships.pause(membership.id, { void_payments: true });
  assert.equal(m.payment_collection_paused, true);
  assert.equal(m.status, 'past_due', 'pausing does not change the status');
  const voided = await co.client.payments.retrieve(open.id);
  assert.equal(voided.status, 'void');
  assert.equal(voided.next_payment_attempt, null);
  const { events } = await co.advanceDays(8);
  assert.deepEqual(events, [], 'no retries');
  assert.equal((await co.client.memberships.retrieve(membership.id)).status, 'past_due');
});

test('cancel at period end lands at the period end', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership, user } = await co.buy(plan);
  const end = membership.renewal_period_end;
  const canceling = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'at_period_end' });
  assert.equal(canceling.status, 'canceling');

  let { events } = await co.advanceTo(at(end, -SECOND));
  assert.deepEqual(events, []);
  assert.equal((await co.client.memberships.retrieve(membership.id)).status, 'canceling');
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, true);

  ({ events } = await co.advanceTo(end));
  assert.deepEqual(types(events), ['membership.deactivated']);
  assert.equal(events[0].timestamp, end);
  const m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.status, 'canceled');
  assert.equal(m.canceled_at, canceling.canceled_at, 'canceled_at stays when the customer asked');
  assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, false);
  assert.equal((await co.payments(membership.id)).length, 1, 'no charge at the end');

  ({ events } = await co.advanceDays(90));
  assert.deepEqual(events, []);
});

test('a customer cancel, and uncancel before the end keeps the membership renewing', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership } = await co.buy(plan);
  const c = await co.customerCancel(membership.id, { cancel_option: 'switching', cancellation_reason: 'found another' });
  assert.equal(c.status, 'canceling');
  assert.equal(c.cancel_option, 'switching');
  await co.advanceDays(10);
  const u = await co.client.memberships.uncancel(membership.id);
  assert.equal(u.status, 'active');
  const { events } = await co.advanceTo(membership.renewal_period_end);
  assert.deepEqual(types(events), ['payment.created', 'payment.succeeded']);
  assert.equal((await co.client.memberships.retrieve(membership.id)).status, 'active');
});

test('a 90-day jump performs three renewals, each at its own instant', async () => {
  const co = await newCompany();
  const plan = await co.plan();
  const { membership } = await co.buy(plan);
  const start = membership.created_at;
  const { events } = await co.advanceDays(90);
  const succeeded = events.filter((e) => e.type === 'payment.succeeded');
  assert.deepEqual(succeeded.map((e) => e.timestamp), [30, 60, 90].map((d) => plusDays(start, d)));
  const m = await co.client.memberships.retrieve(membership.id);
  assert.equal(m.renewal_period_start, plusDays(start, 90));
});
