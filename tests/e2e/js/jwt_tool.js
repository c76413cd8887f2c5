// npm jsonwebtoken 9 as an outside JWT implementation for tests/e2e/test_token_interop.py.
//   node jwt_tool.js sign ALG KEYFILE PAYLOAD_JSON [KID]   -> prints the token
//   node jwt_tool.js verify ALG KEYFILE TOKEN [AUDIENCE]   -> prints the payload as JSON, or
//                                                            {"error":"..."} and exits 1
// KEYFILE is an HMAC secret file (its trailing newline dropped, as herald does) for HS*, a PEM
// private key to sign and a PEM public key to verify for RS*/ES*.
'use strict';
const fs = require('fs');
const jwt = require('jsonwebtoken');

const [mode, alg, keyFile, arg, extra] = process.argv.slice(2);
let key = fs.readFileSync(keyFile, 'utf8');
if (alg.startsWith('HS')) key = key.replace(/[\r\n]+$/, '');

if (mode === 'sign') {
  const options = { algorithm: alg };
  if (extra) options.keyid = extra;
  process.stdout.write(jwt.sign(JSON.parse(arg), key, options) + '\n');
} else if (mode === 'verify') {
  const options = { algorithms: [alg] };
  if (extra) options.audience = extra;
  try {
    process.stdout.write(JSON.stringify(jwt.verify(arg, key, options)) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: e.name, message: e.message }) + '\n');
    process.exitCode = 1;
  }
} else {
  process.stderr.write('usage: jwt_tool.js sign|verify ALG KEYFILE ARG [KID|AUDIENCE]\n');
  process.exitCode = 2;
}
