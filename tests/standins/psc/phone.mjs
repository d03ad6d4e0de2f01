// phone.mjs - the simulated e-CPS phone: polls the PSC stand-in's loopback phone
// API for pending push requests (channel MOBILE), "shows" the 3 codes and acts by
// its mode. Started and stopped by ./phone (see there).
//
//   node phone.mjs --dir DIR --mode approve|deny|ignore|wrong-code [--account IDNAT]
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const opt = { dir: '', mode: '', account: '' };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 1) {
  if (a[i] === '--dir') opt.dir = a[++i];
  else if (a[i] === '--mode') opt.mode = a[++i];
  else if (a[i] === '--account') opt.account = a[++i];
  else { console.error(`phone: unknown argument '${a[i]}'`); process.exit(2); }
}
if (!opt.dir || !['approve', 'deny', 'ignore', 'wrong-code'].includes(opt.mode)) {
  console.error('phone: --dir DIR --mode approve|deny|ignore|wrong-code [--account IDNAT]');
  process.exit(2);
}
const [port] = fs.readFileSync(path.join(opt.dir, 'ready'), 'utf8').trim().split(' ');
const ca = fs.readFileSync(path.join(opt.dir, 'server-ca.crt.pem'));
const agent = new https.Agent({ ca, keepAlive: true, servername: 'localhost' });

function call(method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({
      host: '127.0.0.1', port: Number(port), path: p, method, agent, servername: 'localhost',
      headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
      timeout: 5000,
    }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { s += c; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode, body: JSON.parse(s) }); } catch (e) { reject(e); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const say = (s) => console.log(`${new Date().toISOString()} phone(${opt.mode}): ${s}`);
const done = new Set();
let stopping = false;
process.on('SIGTERM', () => { stopping = true; process.exit(0); });

const q = opt.account ? `?account=${encodeURIComponent(opt.account)}` : '';
let ready = false;
while (!stopping) {
  try {
    const r = await call('GET', `/_standin/phone/pending${q}`);
    if (!ready) { fs.writeFileSync(path.join(opt.dir, 'phone.ready'), `${process.pid}\n`); ready = true; }
    for (const p of r.body) {
      if (done.has(p.auth_req_id)) continue;
      done.add(p.auth_req_id);
      say(`push for ${p.account}: "Choisissez le code affiché sur votre écran" ${p.choices.join(' ')}`);
      let code = null;
      if (opt.mode === 'approve') code = p.binding_message;
      else if (opt.mode === 'wrong-code') code = p.choices.find((c) => c !== p.binding_message);
      const ans = await call('POST', '/_standin/phone/answer', { auth_req_id: p.auth_req_id, mode: opt.mode, code });
      say(`answered ${code ?? opt.mode}: ${ans.status} ${JSON.stringify(ans.body)}`);
    }
  } catch (e) {
    say(`error: ${e.message}`);
  }
  await new Promise((r) => { setTimeout(r, 200); });
}
