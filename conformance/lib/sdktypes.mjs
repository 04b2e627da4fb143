// Checks a JSON value against a response type as the installed SDK declares
// it in its own .d.ts files (node_modules/@whop/sdk/resources/*.d.ts). The
// SDK does not validate what it receives, so a field memberd leaves out, a
// null where the SDK promises a value, or a value outside one of its enums
// would reach a user's code unnoticed; this catches them.
//
// It understands what Stainless generates for response types: interfaces
// (with nested ones in a namespace of the same name), string-literal and
// primitive unions, `| null`, Array<T>, inline object types, and type
// aliases in the same or an imported module. Optional fields (`name?:`) may
// be absent. Fields the SDK does not declare are allowed (the SDK ignores
// them). A type it cannot resolve is accepted.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const resourcesDir = join(dirname(fileURLToPath(import.meta.resolve('@whop/sdk'))), 'resources');
const modules = new Map();

/** The parsed declarations of resources/<name>.d.ts. */
function module(name) {
  if (!modules.has(name)) {
    modules.set(name, parseModule(name, readFileSync(join(resourcesDir, `${name}.d.ts`), 'utf8')));
  }
  return modules.get(name);
}

// parseModule reads a .d.ts into {name, imports: alias -> module,
// interfaces: "A" or "A.B" -> [{name, optional, type}], aliases: name -> type}.
function parseModule(name, text) {
  const lines = text.split('\n');
  const m = { name, imports: new Map(), interfaces: new Map(), aliases: new Map() };
  let namespace = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let match;
    if ((match = line.match(/^import \* as (\w+) from "\.\/([\w-]+)\.js";/))) {
      m.imports.set(match[1], match[2]);
    } else if ((match = line.match(/^export declare namespace (\w+) \{/))) {
      namespace = match[1];
    } else if (line === '}') {
      namespace = null;
    } else if ((match = line.match(/^export type (\w+) = (.*)$/))) {
      let type = match[2];
      while (!type.endsWith(';')) type += ' ' + lines[++i].trim();
      m.aliases.set(match[1], type.slice(0, -1));
    } else if ((match = line.match(/^( *)(?:export )?interface (\w+)(?: extends [^{]*)? \{$/))) {
      const indent = match[1].length + 4;
      const key = namespace && indent === 8 ? `${namespace}.${match[2]}` : match[2];
      const fields = [];
      for (i++; lines[i] !== ' '.repeat(indent - 4) + '}'; i++) {
        const f = lines[i].match(new RegExp(`^ {${indent}}(\\w+)(\\??): (.*)$`));
        if (!f) continue;
        let type = f[3];
        while (!(balanced(type) && type.endsWith(';'))) type += ' ' + lines[++i].trim();
        fields.push({ name: f[1], optional: f[2] === '?', type: type.slice(0, -1) });
      }
      m.interfaces.set(key, fields);
    }
  }
  return m;
}

function balanced(s) {
  let depth = 0;
  for (const c of s) {
    if (c === '{' || c === '<' || c === '(') depth++;
    if (c === '}' || c === '>' || c === ')') depth--;
  }
  return depth === 0;
}

// splitTop splits s at sep where no bracket is open.
function splitTop(s, sep) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{' || c === '<' || c === '(') depth++;
    else if (c === '}' || c === '>' || c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/** The fields the SDK declares for interface `type` of module `mod`: [{name, optional, type}]. */
export function fields(mod, type) {
  const found = module(mod).interfaces.get(type);
  if (!found) throw new Error(`the SDK declares no interface ${type} in resources/${mod}.d.ts`);
  return found;
}

/**
 * Returns the ways value differs from the SDK's type `type` of module
 * `mod` (e.g. check('shared', 'Membership', m)), as ["path: problem", ...];
 * [] when it conforms.
 */
export function check(mod, type, value) {
  const errors = [];
  checkType(module(mod), type, value, '', errors, type);
  return errors;
}

// checkType checks value against the TypeScript type text `type` read in
// module m; scope is the interface being checked, for nested names.
function checkType(m, type, value, path, errors, scope) {
  let alternatives = splitTop(type, '|');
  if (value !== null && alternatives.includes('null')) alternatives = alternatives.filter((a) => a !== 'null');
  if (alternatives.length > 1) {
    for (const alt of alternatives) {
      const sub = [];
      checkType(m, alt, value, path, sub, scope);
      if (sub.length === 0) return;
    }
    errors.push(`${path || '/'}: ${JSON.stringify(value)} is not ${type}`);
    return;
  }
  const fail = (what) => errors.push(`${path || '/'}: ${what}`);
  const t = alternatives[0];
  if (t === 'unknown' || t === 'any') return;
  if (t === 'null') return value === null || fail(`${JSON.stringify(value)} where the SDK declares null`);
  if (value === null) return fail(`null where the SDK declares ${t}`);
  if (t === 'string' || t === 'number' || t === 'boolean') {
    return typeof value === t || fail(`${JSON.stringify(value)} is not a ${t}`);
  }
  if (/^'.*'$/.test(t) || t === 'true' || t === 'false' || /^-?\d/.test(t)) {
    const literal = t.startsWith("'") ? t.slice(1, -1) : JSON.parse(t);
    return value === literal || fail(`${JSON.stringify(value)} is not ${t}`);
  }
  let match;
  if ((match = t.match(/^Array<(.*)>$/))) {
    if (!Array.isArray(value)) return fail(`${JSON.stringify(value)} is not an array`);
    value.forEach((v, i) => checkType(m, match[1], v, `${path}/${i}`, errors, scope));
    return;
  }
  if (t.startsWith('{')) {
    return (typeof value === 'object' && !Array.isArray(value)) || fail(`${JSON.stringify(value)} is not an object`);
  }
  const ref = resolve(m, t, scope);
  if (!ref) return;
  if (ref.alias !== undefined) return checkType(ref.module, ref.alias, value, path, errors, scope);
  if (typeof value !== 'object' || Array.isArray(value)) return fail(`${JSON.stringify(value)} is not an object (${t})`);
  for (const f of ref.fields) {
    if (!(f.name in value)) {
      if (!f.optional) errors.push(`${path}/${f.name}: missing (the SDK declares ${f.type})`);
      continue;
    }
    checkType(ref.module, f.type, value[f.name], `${path}/${f.name}`, errors, ref.key);
  }
}

// resolve finds the interface or alias a type name refers to: Name (a
// nested interface of the scope, or one of the module), Namespace.Name, or
// ImportAlias.Name. Returns {module, key, fields} or {module, alias}.
function resolve(m, name, scope) {
  const root = scope.split('.')[0];
  const candidates = [];
  if (name.includes('.')) {
    const [head, rest] = name.split(/\.(.*)/s);
    if (m.imports.has(head)) candidates.push([module(m.imports.get(head)), rest]);
    else candidates.push([m, name]);
  } else {
    candidates.push([m, `${root}.${name}`], [m, name]);
  }
  for (const [mod, key] of candidates) {
    if (mod.interfaces.has(key)) return { module: mod, key, fields: mod.interfaces.get(key) };
    if (mod.aliases.has(key)) return { module: mod, alias: mod.aliases.get(key) };
  }
  return null;
}
