// Idempotency-Key through the SDK: the key the SDK declares on
// products.create and plans.create, and on any call through its request
// options. A retry with the key gets the first answer; other parameters
// with it are a BadRequestError.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BadRequestError } from '@whop/sdk';
import { all, ids, newCompany, sdk } from '../lib/harness.mjs';

describe('Idempotency-Key', () => {
  let co;
  before(async () => {
    co = await newCompany();
  });

  test('a retry with the key gets the first answer, once', async () => {
    const key = `create-${Math.random()}`;
    const first = await co.client.products.create({ title: 'Once', 'Idempotency-Key': key });
    const again = await co.client.products.create({ title: 'Once', 'Idempotency-Key': key });
    assert.deepEqual(again, first);
    assert.deepEqual(ids(await all(co.client.products.list())), [first.id]);
  });

  test('concurrent duplicates from a retrying client make one object', async () => {
    const product = await co.product();
    const client = sdk(co.apiKey, { maxRetries: 2 });
    const params = { product_id: product.id, renewal_price: 5, 'Idempotency-Key': `plan-${Math.random()}` };
    const plans = await Promise.all(Array.from({ length: 6 }, () => client.plans.create(params)));
    assert.equal(new Set(ids(plans)).size, 1);
    const listed = await all(co.client.plans.list({ company_id: co.id, product_ids: [product.id] }));
    assert.deepEqual(ids(listed), [plans[0].id]);
  });

  test('other parameters with the key are a BadRequestError', async () => {
    const key = `reuse-${Math.random()}`;
    await co.client.products.create({ title: 'A', 'Idempotency-Key': key });
    await assert.rejects(co.client.products.create({ title: 'B', 'Idempotency-Key': key }), (err) => {
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.error.error.code, 'idempotency_key_reused');
      assert.equal(err.error.error.param, 'Idempotency-Key');
      return true;
    });
  });

  test('membership actions take the key through request options', async () => {
    const { membership } = await co.buy(await co.plan());
    const headers = { 'Idempotency-Key': `cancel-${membership.id}` };
    const first = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'at_period_end' }, { headers });
    await co.client.memberships.uncancel(membership.id);
    const replay = await co.client.memberships.cancel(membership.id, { cancellation_mode: 'at_period_end' }, { headers });
    assert.deepEqual(replay, first, 'the stored answer, not a second cancellation');
    assert.equal((await co.client.memberships.retrieve(membership.id)).cancel_at_period_end, false);
  });
});
