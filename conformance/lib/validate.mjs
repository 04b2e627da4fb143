// What every response memberd gives the suite must be: each Membership
// valid against seed 000's JSON Schema (schema/membership.seed000.json,
// draft 2020-12, formats asserted), each error the seed's error envelope,
// and every object of the SDK's resources what the SDK declares (sdktypes.mjs).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { repoRoot } from './memberd.mjs';
import { check } from './sdktypes.mjs';

const seed000 = JSON.parse(readFileSync(join(repoRoot, 'schema', 'membership.seed000.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword('example');
addFormats(ajv);
ajv.addSchema(seed000);
const schemas = {
  Membership: ajv.getSchema(`${seed000.$id}#/$defs/Membership`),
  ErrorEnvelope: ajv.getSchema(`${seed000.$id}#/$defs/ErrorEnvelope`),
};

/** The ways value breaks seed 000's schema def `name`; [] when it is valid. */
export function schemaProblems(name, value) {
  const validate = schemas[name];
  if (validate(value)) return [];
  return validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} (${e.schemaPath})`);
}

/** How many memberships have been validated against the schema. */
export const counts = { memberships: 0 };

// What each route answers: [pattern over "METHOD /path", SDK module, SDK
// type, 'list' (a cursor page of them) or 'one', and the seed 000 schema def
// its objects must also satisfy, if any].
const routes = [
  [/^GET \/memberships$/, 'memberships', 'MembershipListResponse', 'list', 'Membership'],
  [/^(GET|PATCH) \/memberships\/[^/]+$/, 'shared', 'Membership', 'one', 'Membership'],
  [/^POST \/memberships\/[^/]+\/\w+$/, 'shared', 'Membership', 'one', 'Membership'],
  [/^POST \/test_helpers\/(checkouts|memberships\/[^/]+\/customer_cancel)$/, 'shared', 'Membership', 'one', 'Membership'],
  [/^GET \/products$/, 'shared', 'ProductListItem', 'list'],
  [/^(GET|PATCH) \/products\/[^/]+$|^POST \/products$/, 'shared', 'Product', 'one'],
  [/^GET \/plans$/, 'plans', 'PlanListResponse', 'list'],
  [/^(GET|PATCH) \/plans\/[^/]+$|^POST \/plans$/, 'shared', 'Plan', 'one'],
  [/^GET \/payments$/, 'payments', 'PaymentListResponse', 'list'],
  [/^GET \/payments\/[^/]+$|^POST \/payments\/[^/]+\/(retry|void)$/, 'shared', 'Payment', 'one'],
  [/^GET \/promo_codes$/, 'promo-codes', 'PromoCodeListResponse', 'list'],
  [/^GET \/promo_codes\/[^/]+$|^POST \/promo_codes$/, 'promo-codes', 'PromoCode', 'one'],
  [/^GET \/members$/, 'members', 'MemberListResponse', 'list'],
  [/^GET \/members\/[^/]+$/, 'members', 'MemberRetrieveResponse', 'one'],
  [/^GET \/users\/[^/]+$/, 'users', 'User', 'one'],
  [/^GET \/users\/[^/]+\/access\/[^/]+$/, 'users', 'UserCheckAccessResponse', 'one'],
  [/^GET \/companies$/, 'companies', 'CompanyListResponse', 'list'],
  [/^GET \/companies\/[^/]+$|^POST \/companies$/, 'shared', 'Company', 'one'],
  [/^POST \/companies\/[^/]+\/api_keys$/, 'companies', 'CompanyCreateAPIKeyResponse', 'one'],
  [/^GET \/webhooks$/, 'webhooks', 'WebhookListResponse', 'list'],
  [/^POST \/webhooks$/, 'webhooks', 'WebhookCreateResponse', 'one'],
  [/^(GET|PATCH) \/webhooks\/[^/]+$/, 'webhooks', 'Webhook', 'one'],
];

/**
 * The ways a response of `method path` (path under /api/v1) breaks the
 * contract; [] when it keeps it.
 */
export function responseProblems(method, path, status, body) {
  if (status >= 400) return schemaProblems('ErrorEnvelope', body);
  if (method === 'DELETE') return body === true ? [] : [`DELETE answered ${JSON.stringify(body)}, not true`];
  const route = routes.find(([pattern]) => pattern.test(`${method} ${path}`));
  if (!route) return [];
  const [, mod, type, shape, schema] = route;
  const objects = shape === 'list' ? body.data : [body];
  const problems = shape === 'list' ? pageProblems(body) : [];
  for (const [i, object] of objects.entries()) {
    const at = shape === 'list' ? `data/${i}` : '';
    problems.push(...check(mod, type, object).map((p) => `SDK type ${type}: ${at}${p}`));
    if (schema) {
      counts.memberships++;
      problems.push(...schemaProblems(schema, object).map((p) => `seed 000 ${schema}: ${at}${p}`));
    }
  }
  return problems;
}

// pageProblems checks the cursor page envelope the SDK pages with.
function pageProblems(body) {
  const info = body?.page_info;
  const problems = [];
  if (!Array.isArray(body?.data)) problems.push('page: data is not an array');
  if (typeof info !== 'object' || info === null) return [...problems, 'page: page_info is missing'];
  for (const cursor of ['end_cursor', 'start_cursor']) {
    if (!(info[cursor] === null || (typeof info[cursor] === 'string' && info[cursor] !== ''))) {
      problems.push(`page_info.${cursor} is ${JSON.stringify(info[cursor])}, not a cursor or null`);
    }
  }
  for (const flag of ['has_next_page', 'has_previous_page']) {
    if (typeof info[flag] !== 'boolean') problems.push(`page_info.${flag} is not a boolean`);
  }
  if ((info.end_cursor !== null) !== info.has_next_page) {
    problems.push('page_info: end_cursor must be null exactly when there is no next page (the SDK stops only on null)');
  }
  return problems;
}
