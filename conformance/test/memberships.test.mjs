// client.memberships: every method of the SDK, as a user calls it.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DAY, all, ids, ms, newCompany, plusDays, requests } from '../lib/harness.mjs';

describe('memberships.list', () => {
  // 25 memberships across two products and three plans, some canceled,
  // one with a promo code and one canceled by its customer.
  let co;
  let monthly;
  let yearly;
  let trial;
  let created;
  let promo;
  before(async () => {
    co = await newCompany();
    monthly = await co.plan();
    yearly = await co.plan({ product_id: monthly.product.id, billing_period: 365, renewal_price: 100, initial_price: 100 });
    trial = await co.plan({ trial_period_days: 7 });
    promo = await co.client.promoCodes.create({
      company_id: co.id, code: 'HALF', amount_off: 50, base_currency: 'usd', promo_type: 'percentage',
      new_users_only: false, promo_duration_months: 1,
    });
    created = [];
    for (let i = 0; i < 25; i++) {
      const plan = [monthly, monthly, yearly, trial][i % 4];
      const extra = i === 5 ? { promo_code_id: promo.id } : {};
      created.push((await co.buy(plan, { username: `lister${i}`, ...extra })).membership);
    }
    await co.client.memberships.cancel(created[1].id, { cancellation_mode: 'immediate' });
    await co.client.memberships.cancel(created[2].id, { cancellation_mode: 'immediate' });
    await co.customerCancel(created[9].id, { cancel_option: 'too_expensive', cancellation_reason: 'costs too much' });
  });

  test('auto-pagination visits every membership once, in order, page by page', async () => {
    const before = requests.get('GET /memberships') ?? 0;
    const listed = await all(co.client.memberships.list({ company_id: co.id, first: 10 }));
    assert.equal(requests.get('GET /memberships') - before, 3, 'three pages of 10, 10 and 5');
    assert.equal(listed.length, 25);
    assert.equal(new Set(ids(listed)).size, 25, 'no duplicates');
    assert.deepEqual(new Set(ids(listed)), new Set(ids(created)), 'no gaps');
    assert.deepEqual(ids(listed), ids(created).reverse(), 'newest first by default');
  });

  test('pages: has_next_page, end_cursor and getNextPage', async () => {
    const first = await co.client.memberships.list({ company_id: co.id, first: 20 });
    assert.equal(first.data.length, 20);
    assert.equal(first.page_info.has_next_page, true);
    assert.equal(first.page_info.has_previous_page, false);
    assert.equal(first.hasNextPage(), true);
    const second = await first.getNextPage();
    assert.equal(second.data.length, 5);
    assert.equal(second.page_info.end_cursor, null, 'the SDK stops on a null end_cursor');
    assert.equal(second.page_info.has_next_page, false);
    assert.equal(second.page_info.has_previous_page, true);
    assert.equal(second.hasNextPage(), false);
    // Backward from the second page gives the first again.
    const back = await co.client.memberships.list({ company_id: co.id, last: 20, before: second.page_info.start_cursor });
    assert.deepEqual(ids(back.data), ids(first.data));
  });

  test('order and direction', async () => {
    const asc = await all(co.client.memberships.list({ company_id: co.id, order: 'created_at', direction: 'asc', first: 7 }));
    const desc = await all(co.client.memberships.list({ company_id: co.id, order: 'created_at', direction: 'desc', first: 7 }));
    assert.deepEqual(ids(asc), ids(created));
    assert.deepEqual(ids(desc), ids(created).reverse());
    const byID = await all(co.client.memberships.list({ company_id: co.id, order: 'id', direction: 'asc', first: 9 }));
    assert.deepEqual(ids(byID), ids(created).sort());
    const byStatus = await all(co.client.memberships.list({ company_id: co.id, order: 'status', direction: 'desc', first: 6 }));
    const statuses = byStatus.map((m) => m.status);
    assert.equal(byStatus.length, 25);
    assert.deepEqual(statuses, [...statuses].sort().reverse());
    const byCanceled = await all(co.client.memberships.list({ company_id: co.id, order: 'canceled_at', direction: 'desc' }));
    assert.deepEqual(new Set(ids(byCanceled.slice(0, 3))), new Set([created[1].id, created[2].id, created[9].id]));
    for (const order of ['date_joined', 'total_spend']) {
      const listed = await all(co.client.memberships.list({ company_id: co.id, order, first: 8 }));
      assert.equal(new Set(ids(listed)).size, 25, `order ${order}`);
    }
  });

  test('filters', async () => {
    const list = (query) => all(co.client.memberships.list({ company_id: co.id, first: 4, ...query }));
    const expect = (pred) => new Set(ids(created.filter(pred)));

    const canceled = await list({ statuses: ['canceled'] });
    assert.deepEqual(new Set(ids(canceled)), new Set([created[1].id, created[2].id]));
    assert.ok(canceled.every((m) => m.status === 'canceled'));

    const trialing = await list({ statuses: ['trialing', 'canceling'] });
    assert.deepEqual(new Set(ids(trialing)), new Set([...expect((m, i) => i % 4 === 3), created[9].id]));

    assert.deepEqual(new Set(ids(await list({ plan_ids: [yearly.id] }))), expect((m, i) => i % 4 === 2));
    assert.deepEqual(new Set(ids(await list({ plan_ids: [yearly.id, trial.id] }))), expect((m, i) => i % 4 >= 2));
    assert.deepEqual(new Set(ids(await list({ product_ids: [trial.product.id] }))), expect((m, i) => i % 4 === 3));
    assert.deepEqual(ids(await list({ user_ids: [created[7].user.id] })), [created[7].id]);
    assert.deepEqual(ids(await list({ promo_code_ids: [promo.id] })), [created[5].id]);
    assert.deepEqual(ids(await list({ cancel_options: ['too_expensive'] })), [created[9].id]);

    const middle = created[12].created_at;
    const after = await list({ created_after: middle, direction: 'asc' });
    const beforeMid = await list({ created_before: middle, direction: 'asc' });
    assert.ok(after.every((m) => ms(m.created_at) > ms(middle)));
    assert.ok(beforeMid.every((m) => ms(m.created_at) < ms(middle)));
    assert.ok(after.length + beforeMid.length <= 24 && after.length + beforeMid.length >= 12);

    assert.deepEqual(await list({ statuses: ['expired'] }), []);
  });

  test('list items carry the membership as retrieve shows it', async () => {
    const [item] = (await co.client.memberships.list({ company_id: co.id, user_ids: [created[9].user.id] })).data;
    const full = await co.client.memberships.retrieve(created[9].id);
    for (const key of Object.keys(item)) assert.deepEqual(item[key], full[key], key);
    assert.equal(item.cancel_option, 'too_expensive');
    assert.equal(item.cancellation_reason, 'costs too much');
    assert.equal(item.user.email, `${created[9].user.username}@example.com`);
  });
});

describe('memberships, one at a time', () => {
  let co;
  let plan;
  let trialPlan;
  before(async () => {
    co = await newCompany();
    plan = await co.plan({ metadata: { tier: 'pro' } });
    trialPlan = await co.plan({ trial_period_days: 14 });
  });

  test('retrieve', async () => {
    const { membership, user } = await co.buy(plan);
    const m = await co.client.memberships.retrieve(membership.id);
    assert.equal(m.id, membership.id);
    assert.equal(m.status, 'active');
    assert.equal(m.company.id, co.id);
    assert.equal(m.company.title, co.title);
    assert.equal(m.plan.id, plan.id);
    assert.deepEqual(m.plan.metadata, { tier: 'pro' });
    assert.equal(m.product.id, plan.product.id);
    assert.equal(m.user.id, user.id);
    assert.equal(m.user.username, user.username);
    assert.equal(m.currency, 'usd');
    assert.equal(m.cancel_at_period_end, false);
    assert.equal(m.payment_collection_paused, false);
    assert.equal(ms(m.renewal_period_end) - ms(m.renewal_period_start), 30 * DAY);
    assert.equal(m.renewal_period_start, m.created_at);
  });

  test('update replaces metadata, null clears it, absent leaves it', async () => {
    const { membership } = await co.buy(plan);
    let m = await co.client.memberships.update(membership.id, { metadata: { hwid: 'abc', seats: 3 } });
    assert.deepEqual(m.metadata, { hwid: 'abc', seats: 3 });
    m = await co.client.memberships.update(membership.id, { metadata: { note: 'x' } });
    assert.deepEqual(m.metadata, { note: 'x' });
    m = await co.client.memberships.update(membership.id);
    assert.deepEqual(m.metadata, { note: 'x' });
    assert.deepEqual((await co.client.memberships.retrieve(membership.id)).metadata, { note: 'x' });
    m = await co.client.memberships.update(membership.id, { metadata: null });
    assert.equal(m.metadata, null);
  });

  test('cancel at period end, then uncancel', async () => {
    const { membership } = await co.buy(plan);
    let m = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'at_period_end' });
    assert.equal(m.status, 'canceling');
    assert.equal(m.cancel_at_period_end, true);
    assert.equal(ms(m.canceled_at) >= ms(membership.created_at), true);
    assert.equal(m.cancel_option, null, 'the company API leaves the customer fields null');
    assert.equal(m.renewal_period_end, membership.renewal_period_end);
    // The default mode is at_period_end; cancelling twice changes nothing.
    const again = await co.client.memberships.cancel(membership.id);
    assert.equal(again.status, 'canceling');
    assert.equal(again.canceled_at, m.canceled_at);
    m = await co.client.memberships.uncancel(membership.id);
    assert.equal(m.status, 'active');
    assert.equal(m.cancel_at_period_end, false);
    assert.equal(m.canceled_at, null);
    // Uncancel of a membership not scheduled to cancel succeeds, changing nothing.
    const unchanged = await co.client.memberships.uncancel(membership.id);
    assert.equal(unchanged.status, 'active');
  });

  test('uncancel puts a trial back to trialing', async () => {
    const { membership } = await co.buy(trialPlan);
    assert.equal(membership.status, 'trialing');
    assert.equal((await co.client.memberships.cancel(membership.id)).status, 'canceling');
    assert.equal((await co.client.memberships.uncancel(membership.id)).status, 'trialing');
  });

  test('cancel immediately', async () => {
    const { membership, user } = await co.buy(plan);
    const m = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'immediate' });
    assert.equal(m.status, 'canceled');
    assert.equal(m.cancel_at_period_end, false);
    assert.ok(m.canceled_at);
    const access = await co.client.users.checkAccess(plan.product.id, { id: user.id });
    assert.deepEqual(access, { access_level: 'no_access', has_access: false });
    // Cancelling a canceled membership succeeds and changes nothing.
    const again = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'immediate' });
    assert.equal(again.canceled_at, m.canceled_at);
  });

  test('pause with resumes_at, then resume', async () => {
    const { membership, user } = await co.buy(plan);
    const resumesAt = plusDays(await co.now(), 45);
    let m = await co.client.memberships.pause(membership.id, { resumes_at: resumesAt, void_payments: false });
    assert.equal(m.payment_collection_paused, true);
    assert.equal(m.status, 'active', 'pausing keeps the status');
    assert.equal((await co.client.users.checkAccess(plan.product.id, { id: user.id })).has_access, true, 'and the access');
    assert.equal((await co.client.memberships.retrieve(membership.id)).payment_collection_paused, true);
    // Pausing a paused membership succeeds.
    m = await co.client.memberships.pause(membership.id);
    assert.equal(m.payment_collection_paused, true);
    m = await co.client.memberships.resume(membership.id);
    assert.equal(m.payment_collection_paused, false);
    assert.equal(m.renewal_period_end, membership.renewal_period_end);
    // Resuming a membership that is not paused changes nothing.
    assert.equal((await co.client.memberships.resume(membership.id)).payment_collection_paused, false);
  });

  test('addFreeDays moves the period end, or the trial end', async () => {
    const { membership } = await co.buy(plan);
    const m = await co.client.memberships.addFreeDays(membership.id, { free_days: 10 });
    assert.equal(m.renewal_period_end, plusDays(membership.renewal_period_end, 10));
    assert.equal(m.renewal_period_start, membership.renewal_period_start);
    assert.equal(m.status, 'active');
    const trial = (await co.buy(trialPlan)).membership;
    const t = await co.client.memberships.addFreeDays(trial.id, { free_days: 1095 });
    assert.equal(t.renewal_period_end, plusDays(trial.renewal_period_end, 1095));
    assert.equal(t.status, 'trialing');
  });

  test('resyncAccess answers the membership, unchanged', async () => {
    const { membership } = await co.buy(plan);
    const m = await co.client.memberships.resyncAccess(membership.id);
    for (const key of ['id', 'status', 'renewal_period_start', 'renewal_period_end', 'payment_collection_paused', 'cancel_at_period_end']) {
      assert.deepEqual(m[key], membership[key], key);
    }
  });

  test('one-time plans: lifetime access is completed, with no period', async () => {
    const lifetime = await co.plan({ plan_type: 'one_time', initial_price: 99, renewal_price: undefined, billing_period: undefined });
    const { membership } = await co.buy(lifetime);
    assert.equal(membership.status, 'completed');
    assert.equal(membership.renewal_period_start, null);
    assert.equal(membership.renewal_period_end, null);
    const m = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'immediate' });
    assert.equal(m.status, 'canceled');
  });
});
