// The checks the harness puts on every response catch what they should: a
// suite whose validators accept anything would pass against a broken server.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { newCompany } from '../lib/harness.mjs';
import { check } from '../lib/sdktypes.mjs';
import { counts, responseProblems, schemaProblems } from '../lib/validate.mjs';

let membership;
before(async () => {
  const co = await newCompany();
  membership = await co.client.memberships.retrieve((await co.buy(await co.plan())).membership.id);
});

test('a membership memberd returns is valid, and was validated by the fetch hook', () => {
  assert.deepEqual(schemaProblems('Membership', membership), []);
  assert.deepEqual(check('shared', 'Membership', membership), []);
  assert.ok(counts.memberships >= 2, 'the checkout and the retrieve were validated');
});

test('seed 000 schema: types, enums, required fields and formats are asserted', () => {
  const broken = (change) => schemaProblems('Membership', { ...structuredClone(membership), ...change });
  assert.match(broken({ status: 'paused' }).join(), /\/status/);
  assert.match(broken({ created_at: '2026-01-01 10:00' }).join(), /format/);
  assert.match(broken({ renewal_period_end: 1767225600 }).join(), /renewal_period_end/);
  assert.match(broken({ currency: 'USD' }).join(), /currency/);
  const { custom_field_responses, ...missing } = membership;
  assert.match(schemaProblems('Membership', missing).join(), /custom_field_responses/);
  assert.match(schemaProblems('ErrorEnvelope', { error: { message: 'x' } }).join(), /type/);
});

test("SDK types: missing fields, nulls, wrong types and enum values are caught", () => {
  const problems = (change) => check('shared', 'Membership', { ...structuredClone(membership), ...change });
  assert.deepEqual(problems({}), []);
  assert.match(problems({ status: 'paused' }).join(), /^\/status: "paused" is not 'trialing'/);
  assert.match(problems({ cancel_at_period_end: null }).join(), /\/cancel_at_period_end: null where the SDK declares boolean/);
  assert.match(problems({ user: { ...membership.user, username: 7 } }).join(), /\/user\/username: 7 is not a string/);
  const { manage_url, ...missing } = membership;
  assert.match(check('shared', 'Membership', missing).join(), /\/manage_url: missing/);
  assert.deepEqual(check('shared', 'Membership', { ...membership, extra: 1 }), [], 'fields the SDK does not know are fine');
});

test('pages: end_cursor must be null exactly on the last page', () => {
  const page = (info) => responseProblems('GET', '/memberships', 200, { data: [membership], page_info: info });
  const last = { end_cursor: null, start_cursor: null, has_next_page: false, has_previous_page: false };
  assert.deepEqual(page(last), []);
  assert.match(page({ ...last, end_cursor: 'abc' }).join(), /end_cursor must be null/);
  assert.match(page({ ...last, end_cursor: '' }).join(), /end_cursor/);
});
