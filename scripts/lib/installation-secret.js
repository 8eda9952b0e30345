'use strict';
// A secret this installation makes for itself on first use: random, kept in a file of the data
// folder (mode 0600), so no two installations share one and none is published with the code. Used
// by `npm start` for the token signing secret (data/jwt-secret) and by the apps for the key that
// wraps personal-data keys (data-keys-secret beside the SQLite file) when none is configured.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

/**
 * The secret in `file`, made (32 random bytes, base64url) when the file does not exist. Two
 * processes starting at once (api and worker) get the same one: the file is created exclusively
 * and the loser reads the winner's. `log` is told when a new one is made.
 */
function installationSecret(file, { log = () => undefined, describe = 'a secret', setting = 'a setting' } = {}) {
  const read = () => fs.readFileSync(file, 'utf8').trim();
  if (fs.existsSync(file)) {
    const existing = read();
    if (existing) return existing;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    // Made by another process a moment ago: wait for its contents.
    for (let i = 0; i < 100; i++) {
      const theirs = read();
      if (theirs) return theirs;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    throw new Error(`${file} exists but stays empty: delete it, or set ${setting}`);
  }
  log(`made ${describe} for this installation: ${file} (mode 0600; set ${setting} to use your own)`);
  return secret;
}

module.exports = { installationSecret };
