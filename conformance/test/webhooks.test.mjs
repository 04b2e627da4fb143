// client.webhooks: the endpoint API, and real deliveries that
// client.webhooks.unwrap verifies on a local receiver.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestError, NotFoundError } from '@whop/sdk';
import { all, assertMembership, ids, newCompany, types, webhookReceiver } from '../lib/harness.mjs';

describe('webhooks', () => {
  test('create, retrieve, update, list, delete', async () => {
    const co = await newCompany();
    const c = co.client;
    const created = await c.webhooks.create({ url: 'http://localhost:3000/hooks', events: ['membership.activated', 'invoice.paid'] });
    assert.match(created.id, /^hook_[A-Za-z0-9]{13}$/);
    assert.match(created.webhook_secret, /^ws_[0-9a-f]{64}$/);
    assert.equal(created.api_version, 'v1');
    assert.equal(created.enabled, true);
    assert.equal(created.child_resource_events, false);
    assert.equal(created.resource_id, co.id);
    assert.deepEqual(created.events, ['membership.activated', 'invoice.paid']);
    assert.deepEqual(created.testable_events, ['membership.activated']);

    const { webhook_secret: _secret, ...shown } = created;
    assert.deepEqual(await c.webhooks.retrieve(created.id), shown);
    const updated = await c.webhooks.update(created.id, { enabled: false, events: ['payment.succeeded'] });
    assert.equal(updated.enabled, false);
    assert.deepEqual(updated.events, ['payment.succeeded']);

    for (let i = 0; i < 3; i++) await c.webhooks.create({ url: `https://example.com/hooks/${i}` });
    const listed = await all(c.webhooks.list({ company_id: co.id, first: 2 }));
    assert.equal(listed.length, 4);
    assert.equal(listed.at(-1).id, created.id); // most recently created first
    assert.equal(new Set(ids(listed)).size, 4);

    await assert.rejects(c.webhooks.create({ url: 'https://example.com', events: ['membership.went_valid'] }),
      (err) => err instanceof BadRequestError && err.error.error.param === 'events');
    await assert.rejects(c.webhooks.create({ url: 'ftp://example.com' }),
      (err) => err instanceof BadRequestError && err.error.error.param === 'url');
    assert.equal(await c.webhooks.delete(created.id), true);
    await assert.rejects(c.webhooks.retrieve(created.id), NotFoundError);
    const other = await newCompany();
    await assert.rejects(other.client.webhooks.retrieve(listed[0].id), NotFoundError);
  });

  test('deliveries verify with client.webhooks.unwrap', async () => {
    const co = await newCompany();
    const receiver = await webhookReceiver(co.client);
    const onlyPayments = await webhookReceiver(co.client, { events: ['payment.succeeded'] });
    try {
      const plan = await co.plan();
      const { membership } = await co.buy(plan);
      const checkout = await receiver.waitFor(3);
      assert.deepEqual(types(checkout.map((r) => r.event)).sort(), ['membership.activated', 'payment.created', 'payment.succeeded']);
      for (const { event, headers } of checkout) {
        assert.equal(event.id, headers['webhook-id']);
        assert.match(event.id, /^msg_[A-Za-z0-9]{24}$/);
        assert.equal(event.api_version, 'v1');
        assert.equal(event.company_id, co.id);
        assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
      }
      const activated = checkout.find((r) => r.event.type === 'membership.activated').event;
      assert.equal(activated.data.id, membership.id);
      assertMembership(activated.data);

      // A renewal, 30 days on the company's clock, is delivered at once.
      await co.advanceDays(30);
      const renewal = (await receiver.waitFor(5)).slice(3).map((r) => r.event);
      assert.deepEqual(types(renewal).sort(), ['payment.created', 'payment.succeeded']);
      const paid = await onlyPayments.waitFor(2);
      assert.deepEqual(types(paid.map((r) => r.event)), ['payment.succeeded', 'payment.succeeded']);
      assert.deepEqual([receiver.refused, onlyPayments.refused], [[], []]);

      // The signature covers the body: another key, or another body, fails.
      const [{ body, headers }] = checkout;
      assert.throws(() => co.client.webhooks.unwrap(body, { headers, key: btoa('ws_' + '0'.repeat(64)) }));
      assert.throws(() => co.client.webhooks.unwrap(body.replace(co.id, 'biz_xxxxxxxxxxxxxx'), { headers, key: btoa(receiver.hook.webhook_secret) }));
    } finally {
      await receiver.close();
      await onlyPayments.close();
    }
  });
});
