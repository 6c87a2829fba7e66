'use strict';
// core.http_request: one HTTP(S) request, its response as JSON on stdout (the execution's
// result.data). Parameters arrive as JSON on stdin. Exit code 0 when the status is expected
// (any 2xx unless `expected_status` says otherwise), 1 otherwise or when no response came.
//
// Addresses in the worker's deny ranges (ATTUNE_HTTP_REQUEST_DENY: link-local and cloud
// metadata by default) are refused before connecting, for the first request and every redirect.
// A host name is resolved here and the connection goes to the address that was checked, so a
// name that resolves differently on a second lookup cannot slip past the check.
const http = require('node:http');
const https = require('node:https');
const dns = require('node:dns');
const net = require('node:net');

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class Refused extends Error {}

function denyList(text) {
  const list = new net.BlockList();
  for (const range of (text || '').split(',').map((r) => r.trim())) {
    if (!range || range === 'none') continue;
    const [address, prefix] = range.split('/');
    const family = net.isIP(address);
    if (family) list.addSubnet(address, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

function deniedAddress(list, address) {
  const family = net.isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** dns.lookup that refuses a name when any of its addresses is denied. */
function guardedLookup(list) {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      const bad = addresses.find((a) => deniedAddress(list, a.address));
      if (bad) return callback(new Refused(`${hostname} resolves to ${bad.address}, which is in a denied address range (ATTUNE_HTTP_REQUEST_DENY)`));
      if (options && options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function expectedStatuses(value) {
  if (value === undefined || value === null) return { test: (s) => s >= 200 && s < 300, text: '2xx' };
  const list = (Array.isArray(value) ? value : [value]).map(Number);
  return { test: (s) => list.includes(s), text: list.join(', ') };
}

function requestBody(p, headers) {
  const value = p.json_body !== undefined ? p.json_body : p.body;
  if (value === undefined || value === null) return undefined;
  const has = (name) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (!has('content-type')) headers['content-type'] = 'application/json';
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** One request; answers {status, headers, body: Buffer, truncated} or throws. */
function send(url, method, headers, body, opts) {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (deniedAddress(opts.deny, host)) return reject(new Refused(`${host} is in a denied address range (ATTUNE_HTTP_REQUEST_DENY)`));
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method,
      headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
      lookup: guardedLookup(opts.deny),
      rejectUnauthorized: opts.verify,
      signal: opts.signal,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      let size = 0;
      let truncated = false;
      res.on('data', (chunk) => {
        if (truncated) return;
        if (size + chunk.length > opts.maxBytes) {
          chunks.push(chunk.subarray(0, opts.maxBytes - size));
          size = opts.maxBytes;
          truncated = true;
          // The rest is not wanted: stop reading it.
          res.destroy();
          return finish();
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), truncated });
      };
      res.on('end', finish);
      res.on('error', (err) => (truncated ? finish() : reject(err)));
    });
    req.end(body);
  });
}

function decode(buffer, contentType) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return { body: buffer.toString('base64'), encoding: 'base64', json: null };
  }
  let json = null;
  const trimmed = text.trim();
  if (/\bjson\b/i.test(contentType || '') || /^[[{]/.test(trimmed)) {
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = null;
    }
  }
  return { body: text, encoding: 'utf-8', json };
}

async function main() {
  const p = JSON.parse((await readStdin()) || '{}');
  const started = Date.now();
  const result = { status_code: 0, headers: {}, body: '', json: null, elapsed_ms: 0, url: p.url, success: false };
  const expected = expectedStatuses(p.expected_status);
  const timeoutMs = (p.timeout || 30) * 1000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no complete response within ${p.timeout || 30}s (timeout)`)), timeoutMs);
  const opts = {
    deny: denyList(process.env.ATTUNE_HTTP_REQUEST_DENY),
    verify: p.verify_ssl !== false,
    maxBytes: p.max_response_bytes === undefined ? 1024 * 1024 : p.max_response_bytes,
    signal: controller.signal,
  };
  try {
    let url = new URL(p.url);
    for (const [k, v] of Object.entries(p.query_params || {})) url.searchParams.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Refused(`only http and https URLs are supported, not ${url.protocol}`);
    let method = (p.method || 'GET').toUpperCase();
    const headers = { ...(p.headers || {}) };
    if (p.auth_type === 'basic') headers.authorization = 'Basic ' + Buffer.from(`${p.auth_username || ''}:${p.auth_password || ''}`).toString('base64');
    if (p.auth_type === 'bearer') headers.authorization = `Bearer ${p.auth_token || ''}`;
    let body = requestBody(p, headers);
    const follow = p.follow_redirects !== false;
    const maxRedirects = p.max_redirects === undefined ? 10 : p.max_redirects;
    let response;
    for (let hop = 0; ; hop++) {
      response = await send(url, method, headers, body, opts);
      const location = response.headers.location;
      if (!follow || !REDIRECTS.has(response.status) || !location) break;
      if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects (max_redirects)`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Refused(`a redirect to ${next.protocol} is not followed`);
      // Credentials stay with the origin they were meant for.
      if (next.origin !== url.origin) for (const k of Object.keys(headers)) if (/^(authorization|cookie)$/i.test(k)) delete headers[k];
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        for (const k of Object.keys(headers)) if (/^content-(type|length)$/i.test(k)) delete headers[k];
      }
      url = next;
    }
    const decoded = decode(response.body, response.headers['content-type']);
    Object.assign(result, {
      status_code: response.status,
      headers: response.headers,
      body: decoded.body,
      json: decoded.json,
      url: url.toString(),
      success: expected.test(response.status),
    });
    if (decoded.encoding !== 'utf-8') result.body_encoding = decoded.encoding;
    if (response.truncated) result.body_truncated = true;
    if (!result.success) result.error = `the response status ${response.status} is not an expected one (${expected.text})`;
  } catch (err) {
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    result.error = err instanceof Refused ? `refused: ${reason.message}` : reason.message;
  } finally {
    clearTimeout(timer);
  }
  result.elapsed_ms = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + '\n');
  if (result.error) process.stderr.write(`core.http_request: ${result.error}\n`);
  process.exitCode = result.success ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`core.http_request: ${err.message}\n`);
  process.exitCode = 1;
});
