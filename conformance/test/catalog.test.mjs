// client.products, client.plans and client.promoCodes.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { NotFoundError } from '@whop/sdk';
import { all, ids, newCompany } from '../lib/harness.mjs';

describe('products', () => {
  let co;
  before(async () => {
    co = await newCompany();
  });

  test('create, retrieve, update, list, delete', async () => {
    const p = await co.client.products.create({
      account_id: co.id, title: 'Signals', description: 'Daily signals', headline: 'Be early',
      visibility: 'hidden', metadata: { sku: 'S-1' }, send_welcome_message: true,
    });
    assert.match(p.id, /^prod_[A-Za-z0-9]{13}$/);
    assert.equal(p.title, 'Signals');
    assert.equal(p.description, 'Daily signals');
    assert.equal(p.headline, 'Be early');
    assert.equal(p.visibility, 'hidden');
    assert.deepEqual(p.metadata, { sku: 'S-1' });
    assert.equal(p.company.id, co.id);
    assert.equal(p.company.title, co.title);

    assert.deepEqual(await co.client.products.retrieve(p.id), p);

    const u = await co.client.products.update(p.id, { title: 'Signals Pro', visibility: 'visible', description: null });
    assert.equal(u.title, 'Signals Pro');
    assert.equal(u.visibility, 'visible');
    assert.equal(u.description, null);
    assert.equal(u.headline, 'Be early', 'fields not sent stay');

    const other = await co.client.products.create({ title: 'Course' });
    assert.equal(other.company.id, co.id, 'the key\'s company by default');
    const listed = await all(co.client.products.list({ first: 1 }));
    assert.deepEqual(new Set(ids(listed)), new Set([p.id, other.id]));
    const asc = await all(co.client.products.list({ account_id: co.id, direction: 'asc' }));
    assert.deepEqual(ids(asc), [p.id, other.id]);
    assert.deepEqual(ids(await all(co.client.products.list({ visibilities: ['visible'] }))).sort(), [p.id, other.id].sort());

    assert.equal(await co.client.products.delete(other.id), true);
    await assert.rejects(co.client.products.retrieve(other.id), NotFoundError);
    assert.deepEqual(ids(await all(co.client.products.list())), [p.id]);
  });
});

describe('plans', () => {
  let co;
  let product;
  before(async () => {
    co = await newCompany();
    product = await co.product();
  });

  test('create, retrieve, update, list, delete', async () => {
    const monthly = await co.client.plans.create({
      account_id: co.id, product_id: product.id, plan_type: 'renewal', billing_period: 30, initial_price: 19.99,
      renewal_price: 9.99, currency: 'usd', trial_period_days: 7, title: 'Monthly', internal_notes: 'launch',
      metadata: { tier: 'gold' }, stock: 100, unlimited_stock: false,
    });
    assert.match(monthly.id, /^plan_[A-Za-z0-9]{13}$/);
    assert.equal(monthly.plan_type, 'renewal');
    assert.equal(monthly.billing_period, 30);
    assert.equal(monthly.initial_price, 19.99);
    assert.equal(monthly.renewal_price, 9.99);
    assert.equal(monthly.currency, 'usd');
    assert.equal(monthly.trial_period_days, 7);
    assert.equal(monthly.title, 'Monthly');
    assert.equal(monthly.internal_notes, 'launch');
    assert.deepEqual(monthly.metadata, { tier: 'gold' });
    assert.equal(monthly.stock, 100);
    assert.equal(monthly.unlimited_stock, false);
    assert.equal(monthly.product.id, product.id);
    assert.equal(monthly.company.id, co.id);
    assert.deepEqual(await co.client.plans.retrieve(monthly.id), monthly);

    const lifetime = await co.client.plans.create({ account_id: co.id, product_id: product.id, plan_type: 'one_time', initial_price: 250, currency: 'eur' });
    assert.equal(lifetime.plan_type, 'one_time');
    assert.equal(lifetime.billing_period, null);
    assert.equal(lifetime.currency, 'eur');

    const u = await co.client.plans.update(monthly.id, { renewal_price: 12.5, title: null, visibility: 'hidden', adaptive_pricing_enabled: false });
    assert.equal(u.renewal_price, 12.5);
    assert.equal(u.title, null);
    assert.equal(u.visibility, 'hidden');
    assert.equal(u.initial_price, 19.99);

    const other = await co.plan();
    assert.deepEqual(new Set(ids(await all(co.client.plans.list({ first: 2 })))), new Set([monthly.id, lifetime.id, other.id]));
    assert.deepEqual(ids(await all(co.client.plans.list({ product_ids: [product.id], direction: 'asc' }))), [monthly.id, lifetime.id]);
    assert.deepEqual(ids(await all(co.client.plans.list({ plan_types: ['one_time'] }))), [lifetime.id]);
    assert.deepEqual(ids(await all(co.client.plans.list({ visibilities: ['hidden'] }))), [monthly.id]);

    assert.equal(await co.client.plans.delete(other.id), true);
    await assert.rejects(co.client.plans.retrieve(other.id), NotFoundError);
  });

  test('a membership keeps the terms it was sold on', async () => {
    const plan = await co.plan({ renewal_price: 10, initial_price: 10 });
    const { membership } = await co.buy(plan);
    await co.client.plans.update(plan.id, { renewal_price: 99 });
    await co.advanceDays(30);
    const [, renewal] = await co.payments(membership.id);
    assert.equal(renewal.total, 10);
    assert.equal(renewal.billing_reason, 'subscription_cycle');
  });
});

describe('promo codes', () => {
  let co;
  before(async () => {
    co = await newCompany();
  });

  test('create, retrieve, list, delete', async () => {
    const product = await co.product();
    const promo = await co.client.promoCodes.create({
      company_id: co.id, code: 'LAUNCH20', amount_off: 20, base_currency: 'usd', promo_type: 'percentage',
      new_users_only: true, promo_duration_months: 3, product_id: product.id, stock: 5, unlimited_stock: false,
    });
    assert.match(promo.id, /^promo_[A-Za-z0-9]{12}$/);
    assert.equal(promo.code, 'LAUNCH20');
    assert.equal(promo.amount_off, 20);
    assert.equal(promo.currency, 'usd');
    assert.equal(promo.promo_type, 'percentage');
    assert.equal(promo.new_users_only, true);
    assert.equal(promo.promo_duration_months, 3);
    assert.equal(promo.duration, 'repeating');
    assert.equal(promo.product.id, product.id);
    assert.equal(promo.stock, 5);
    assert.equal(promo.status, 'active');
    assert.equal(promo.uses, 0);
    assert.deepEqual(await co.client.promoCodes.retrieve(promo.id), promo);

    const flat = await co.client.promoCodes.create({
      company_id: co.id, code: 'FIVE', amount_off: 5, base_currency: 'usd', promo_type: 'flat_amount',
      new_users_only: false, promo_duration_months: 0,
    });
    assert.equal(flat.duration, 'forever');
    assert.deepEqual(new Set(ids(await all(co.client.promoCodes.list({ company_id: co.id, first: 1 })))), new Set([promo.id, flat.id]));
    assert.deepEqual(ids(await all(co.client.promoCodes.list({ company_id: co.id, product_ids: [product.id] }))), [promo.id]);

    assert.equal(await co.client.promoCodes.delete(flat.id), true);
    assert.equal((await co.client.promoCodes.retrieve(flat.id)).status, 'archived');
    assert.deepEqual(ids(await all(co.client.promoCodes.list({ company_id: co.id, status: 'archived' }))), [flat.id]);
  });

  test('a checkout with a promo code: discounted for its months, then full price', async () => {
    const plan = await co.plan({ initial_price: 40, renewal_price: 40 });
    const promo = await co.client.promoCodes.create({
      company_id: co.id, code: 'TWOMONTHS', amount_off: 25, base_currency: 'usd', promo_type: 'percentage',
      new_users_only: false, promo_duration_months: 2,
    });
    const { membership } = await co.buy(plan, { promo_code_id: promo.id });
    assert.equal(membership.promo_code.id, promo.id);
    await co.advanceDays(60);
    const totals = (await co.payments(membership.id)).map((p) => [p.subtotal, p.total]);
    assert.deepEqual(totals, [[40, 30], [40, 30], [40, 40]]);
    assert.equal((await co.client.promoCodes.retrieve(promo.id)).uses, 1);
  });
});
