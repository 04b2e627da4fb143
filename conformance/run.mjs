// `npm test`: builds and starts memberd (lib/memberd.mjs), runs the test
// files with Node's test runner against it, and stops memberd whatever
// happens: tests failing, the runner crashing, Ctrl-C, SIGTERM, or npm
// going away (this process then has a new parent).
//
//   npm test                                   every file in test/
//   npm test -- test/memberships.test.mjs      some files

import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startMemberd } from './lib/memberd.mjs';

const here = import.meta.dirname;
let files = process.argv.slice(2);
if (files.length === 0) {
  files = (await readdir(join(here, 'test'))).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join('test', f));
}

let runner;
let stopping = null;
const stop = (signal) => {
  stopping ??= signal;
  // The runner leads its own process group: the test files go with it.
  if (runner?.exitCode === null) process.kill(-runner.pid, signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop('SIGTERM'), 500).unref();

const memberd = await startMemberd();
let code = 1;
try {
  if (!stopping) {
    runner = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
      cwd: here,
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, MEMBERD_URL: memberd.url, MEMBERD_BINARY: memberd.binary, MEMBERD_DATABASE: memberd.database },
    });
    code = await new Promise((ok) => runner.once('exit', (c, signal) => ok(signal ? 1 : c)));
  }
} finally {
  await memberd.stop();
}
process.exit(stopping ? 130 : code);
