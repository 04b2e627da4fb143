// The SDK's error classes for each error status memberd answers, with the
// Whop error body inside, and bad requests changing nothing.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError } from '@whop/sdk';
import { newCompany, plusDays, requests, sdk } from '../lib/harness.mjs';

/**
 * Awaits a call that must fail with ErrorClass and the Whop error body
 * {type, code, param}; returns the error.
 */
async function fails(call, ErrorClass, status, { type, code = null, param = null, message } = {}) {
  let err;
  try {
    await call;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${ErrorClass.name}, the call succeeded`);
  assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err.constructor.name}: ${err.message}`);
  assert.equal(err.status, status);
  assert.equal(err.error.error.type, type);
  assert.equal(err.error.error.code, code);
  assert.equal(err.error.error.param, param);
  assert.equal(typeof err.error.error.message, 'string');
  assert.ok(err.message.startsWith(`${status} `), err.message);
  if (message) assert.match(err.error.error.message, message);
  assert.equal(err.headers.get('content-type'), 'application/json');
  return err;
}

const invalid = (code, param, message) => ({ type: 'invalid_request_error', code, param, message });

describe('errors', () => {
  let co;
  let plan;
  let membership;
  before(async () => {
    co = await newCompany();
    plan = await co.plan();
    membership = (await co.buy(plan)).membership;
  });

  describe('BadRequestError (400)', () => {
    test('a parameter out of range', async () => {
      await fails(co.client.memberships.addFreeDays(membership.id, { free_days: 0 }), BadRequestError, 400,
        invalid('parameter_invalid', 'free_days'));
      await fails(co.client.memberships.addFreeDays(membership.id, { free_days: 1096 }), BadRequestError, 400,
        invalid('parameter_invalid', 'free_days'));
      await fails(co.client.memberships.addFreeDays(membership.id, { free_days: 1.5 }), BadRequestError, 400,
        invalid('parameter_invalid', 'free_days'));
    });

    test('resumes_at in the past', async () => {
      const past = plusDays(await co.now(), -1);
      await fails(co.client.memberships.pause(membership.id, { resumes_at: past }), BadRequestError, 400,
        invalid('parameter_invalid', 'resumes_at'));
      await fails(co.client.memberships.pause(membership.id, { resumes_at: 'next tuesday' }), BadRequestError, 400,
        invalid('parameter_invalid', 'resumes_at'));
    });

    test('a missing parameter', async () => {
      await fails(co.client.memberships.addFreeDays(membership.id, {}), BadRequestError, 400,
        invalid('parameter_missing', 'free_days'));
      await fails(co.client.memberships.list(), BadRequestError, 400, invalid('parameter_missing', 'company_id'));
    });

    test('an unknown parameter, and bad enum values', async () => {
      await fails(co.client.memberships.update(membership.id, { metadata: {}, colour: 'red' }), BadRequestError, 400,
        invalid('parameter_unknown', 'colour'));
      await fails(co.client.memberships.cancel(membership.id, { cancellation_mode: 'later' }), BadRequestError, 400,
        invalid('parameter_invalid', 'cancellation_mode'));
      await fails(co.client.memberships.list({ company_id: co.id, statuses: ['paused'] }), BadRequestError, 400,
        invalid('parameter_invalid', 'statuses'));
      await fails(co.client.memberships.list({ company_id: co.id, order: 'size' }), BadRequestError, 400,
        invalid('parameter_invalid', 'order'));
    });

    test('metadata over the limits', async () => {
      const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
      await fails(co.client.memberships.update(membership.id, { metadata: tooMany }), BadRequestError, 400,
        invalid('parameter_invalid', 'metadata'));
      await fails(co.client.memberships.update(membership.id, { metadata: { k: 'v'.repeat(5001) } }), BadRequestError, 400,
        invalid('parameter_invalid', 'metadata'));
    });

    test('an operation that does not fit the state names the state, and is not retried', async () => {
      const { membership: m } = await co.buy(plan);
      await co.client.memberships.cancel(m.id, { cancellation_mode: 'immediate' });
      // With the SDK's default retries: a 409 would be retried, a 400 is not.
      const retrying = sdk(co.apiKey, { maxRetries: 2 });
      const sent = requests.get(`POST /memberships/${m.id}/pause`) ?? 0;
      await fails(retrying.memberships.pause(m.id), BadRequestError, 400,
        invalid('membership_not_pausable', null, /canceled/));
      assert.equal(requests.get(`POST /memberships/${m.id}/pause`) - sent, 1, 'sent once');
      await fails(co.client.memberships.addFreeDays(m.id, { free_days: 3 }), BadRequestError, 400,
        invalid('membership_not_extendable', null, /canceled/));
      const lifetime = await co.plan({ plan_type: 'one_time', initial_price: 5, renewal_price: undefined, billing_period: undefined });
      const { membership: once } = await co.buy(lifetime);
      await fails(co.client.memberships.cancel(once.id, { cancellation_mode: 'at_period_end' }), BadRequestError, 400,
        invalid('membership_not_recurring', null));
    });

    test('a bad request changes nothing', async () => {
      const before = await co.client.memberships.retrieve(membership.id);
      await assert.rejects(co.client.memberships.update(membership.id, { metadata: { a: 1 }, colour: 'red' }), BadRequestError);
      await assert.rejects(co.client.memberships.pause(membership.id, { resumes_at: 'soon', void_payments: true }), BadRequestError);
      await assert.rejects(co.client.memberships.cancel(membership.id, { cancellation_mode: 'never' }), BadRequestError);
      assert.deepEqual(await co.client.memberships.retrieve(membership.id), before);
    });
  });

  test('AuthenticationError (401): an unknown key, and no key', async () => {
    await fails(sdk('apik_not_a_real_key').memberships.retrieve(membership.id), AuthenticationError, 401,
      { type: 'unauthorized' });
    await fails(sdk('').memberships.list({ company_id: co.id }), AuthenticationError, 401, { type: 'unauthorized' });
  });

  test('PermissionDeniedError (403): a key without the permission', async () => {
    const readOnly = sdk(await co.key(['member:basic:read']));
    const m = await readOnly.memberships.retrieve(membership.id);
    assert.equal(m.user.email, null, 'no member:email:read, no email');
    assert.equal((await co.client.memberships.retrieve(membership.id)).user.email.endsWith('@example.com'), true);
    await fails(readOnly.memberships.cancel(membership.id), PermissionDeniedError, 403, { type: 'forbidden' });
    await fails(readOnly.memberships.pause(membership.id), PermissionDeniedError, 403, { type: 'forbidden' });
    await fails(readOnly.memberships.update(membership.id, { metadata: { x: 1 } }), PermissionDeniedError, 403, { type: 'forbidden' });
    await fails(readOnly.payments.list({ company_id: co.id }), PermissionDeniedError, 403, { type: 'forbidden' });
    await fails(readOnly.products.create({ company_id: co.id, title: 'Nope' }), PermissionDeniedError, 403, { type: 'forbidden' });
    const after = await co.client.memberships.retrieve(membership.id);
    assert.equal(after.status, 'active');
    assert.equal(after.payment_collection_paused, false);
  });

  describe('NotFoundError (404)', () => {
    test('an id that does not exist', async () => {
      await fails(co.client.memberships.retrieve('mem_xxxxxxxxxxxxxx'), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.memberships.cancel('mem_xxxxxxxxxxxxxx'), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.plans.retrieve('plan_xxxxxxxxxxxxx'), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.payments.retrieve('pay_xxxxxxxxxxxxxx'), NotFoundError, 404, { type: 'not_found' });
    });

    test("another company's membership is not found, and untouched", async () => {
      const other = await newCompany();
      const { membership: theirs } = await other.buy(await other.plan());
      await fails(co.client.memberships.retrieve(theirs.id), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.memberships.cancel(theirs.id, { cancellation_mode: 'immediate' }), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.memberships.pause(theirs.id), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.memberships.list({ company_id: other.id }), NotFoundError, 404, { type: 'not_found' });
      await fails(co.client.products.retrieve(theirs.product.id), NotFoundError, 404, { type: 'not_found' });
      const still = await other.client.memberships.retrieve(theirs.id);
      assert.equal(still.status, 'active');
      assert.equal(still.payment_collection_paused, false);
    });
  });
});
