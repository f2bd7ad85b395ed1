#!/usr/bin/env node
// A stand-in for LibreMesh's `shared-state-async` command line, which Debian does not package:
// `register TYPE SCOPE INTERVAL TTL`, `insert TYPE` (a JSON object on stdin) and `get TYPE`, as its
// app/shared_state_cli.cc does them, over one JSON file that plays the synced mesh-wide store
// ($FAKE_SHARED_STATE). $FAKE_SHARED_STATE_FAIL makes every command fail with that message.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const file = process.env.FAKE_SHARED_STATE;
const [op, type, ...rest] = process.argv.slice(2);
const fail = (message, code = 22) => {
  process.stderr.write(`F ${message}\n`);
  process.exit(code);
};
if (!file || !op || !type) fail('usage: register|insert|get TYPE');
if (process.env.FAKE_SHARED_STATE_FAIL) fail(process.env.FAKE_SHARED_STATE_FAIL, 1);
let store;
try {
  store = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  store = { types: {}, data: {} };
}
const save = () => {
  writeFileSync(`${file}.tmp`, JSON.stringify(store));
  renameSync(`${file}.tmp`, file);
};
if (op === 'register') {
  store.types[type] = rest;
  store.data[type] ??= {};
  save();
} else if (!(type in store.types)) {
  fail(`UNKOWN_DATA_TYPE ${type}`);
} else if (op === 'insert') {
  let input;
  try {
    input = JSON.parse(readFileSync(0, 'utf8'));
  } catch {
    fail('Invalid JSON input');
  }
  Object.assign(store.data[type], input);
  save();
} else if (op === 'get') {
  process.stdout.write(`${JSON.stringify(store.data[type], null, '\t')}\n`);
} else {
  fail(`unsupported operation ${op}`);
}
