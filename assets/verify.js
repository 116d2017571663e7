// Offline check of a certificate's signed QR code (docs/integrity.md).
//
// The QR code printed on a certificate opens /verify?n=…&t=…#PAYLOAD. The
// part after # never reaches the server: this script reads it, checks the
// province's Ed25519 signature against the public keys embedded in the page
// (#verify-keys) and says whether the certificate is genuine, all in the
// browser. The page and this script are kept by a service worker
// (/verify-sw.js), so a phone that opened the page once can check a
// certificate later without a connection. Online, the server's answer about
// the certificate's current status is on the same page and compared here.
//
// The payload layout is the one store/signing_payload.go writes. Ed25519 is
// verified with WebCrypto where the browser has it, else with the small
// implementation below (RFC 8032, verification only).
(function () {
  'use strict';

  // ---- bytes ----

  function b64urlDecode(s) {
    if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin;
    try { bin = atob(s); } catch (e) { return null; }
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64Decode(s) { return b64urlDecode(s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')); }

  function hex(b) {
    var s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }

  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function utf8(s) { return new TextEncoder().encode(s); }

  function bytesEqual(a, b) {
    if (a.length !== b.length) return false;
    var d = 0;
    for (var i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  // ---- the payload (store/signing_payload.go) ----

  var DOMAIN = utf8('certreg-cert-v1\u0000');

  function decodePayload(raw) {
    if (!raw || raw.length < 21 + 4 + 64 || raw[0] !== 1) return null;
    var body = raw.subarray(0, raw.length - 64), sig = raw.subarray(raw.length - 64);
    var num = 0;
    for (var i = 5; i < 11; i++) num = num * 256 + body[i];
    var p = {
      keyId: hex(body.subarray(1, 5)),
      number: String(num).padStart(14, '0'),
      issueDay: body[11] * 256 + body[12],
      signedDay: body[13] * 256 + body[14],
      level: body[15],
      body: body,
      sig: sig
    };
    var head = (body[16] << 16) | (body[17] << 8) | body[18];
    var tail = body[19] * 256 + body[20];
    p.maskedId = String(head).padStart(6, '0') + '********' + String(Math.floor(tail / 11)).padStart(3, '0') + (tail % 11 === 10 ? 'X' : String(tail % 11));
    var at = 21, texts = [];
    var dec = new TextDecoder('utf-8', { fatal: true });
    for (var t = 0; t < 4; t++) {
      var n = 0, shift = 1, c;
      do {
        if (at >= body.length) return null;
        c = body[at++];
        n += (c & 0x7f) * shift;
        shift *= 128;
      } while (c & 0x80);
      if (at + n > body.length) return null;
      try { texts.push(dec.decode(body.subarray(at, at + n))); } catch (e) { return null; }
      at += n;
    }
    if (at !== body.length || !/^[0-9]+$/.test(texts[0])) return null;
    p.version = parseInt(texts[0], 10);
    p.name = texts[1];
    p.occupation = texts[2];
    p.orgCode = texts[3];
    return p;
  }

  // A day number as the page's other dates: 2026-10-25.
  function dayLabel(n) {
    var d = new Date(Date.UTC(1970, 0, 1) + n * 86400000);
    var two = function (v) { return (v < 10 ? '0' : '') + v; };
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate());
  }

  // ---- Ed25519 verification without WebCrypto (RFC 8032, section 5.1.7) ----

  var P = (1n << 255n) - 19n;
  var L = (1n << 252n) + 27742317777372353535851937790883648493n;
  function mod(a, m) { var r = a % (m || P); return r < 0n ? r + (m || P) : r; }
  function pow(b, e) {
    var r = 1n;
    b = mod(b);
    while (e > 0n) {
      if (e & 1n) r = r * b % P;
      b = b * b % P;
      e >>= 1n;
    }
    return r;
  }
  function inv(a) { return pow(a, P - 2n); }
  var D = mod(-121665n * inv(121666n));
  var SQRT_M1 = pow(2n, (P - 1n) / 4n);
  var BY = mod(4n * inv(5n));
  var BX = recoverX(BY, 0);
  var BASE = [BX, BY, 1n, mod(BX * BY)];
  var ZERO = [0n, 1n, 1n, 0n];

  function recoverX(y, sign) {
    if (y >= P) return null;
    var x2 = mod((y * y - 1n) * inv(D * y * y + 1n));
    if (x2 === 0n) return sign ? null : 0n;
    var x = pow(x2, (P + 3n) / 8n);
    if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
    if (mod(x * x - x2) !== 0n) return null;
    if (Number(x & 1n) !== sign) x = P - x;
    return x;
  }

  // Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
  function add(p, q) {
    var a = mod((p[1] - p[0]) * (q[1] - q[0])), b = mod((p[1] + p[0]) * (q[1] + q[0]));
    var c = mod(2n * p[3] * q[3] * D), d = mod(2n * p[2] * q[2]);
    var e = b - a, f = d - c, g = d + c, h = b + a;
    return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
  }

  function mul(s, p) {
    var q = ZERO;
    while (s > 0n) {
      if (s & 1n) q = add(q, p);
      p = add(p, p);
      s >>= 1n;
    }
    return q;
  }

  function encode(p) {
    var zi = inv(p[2]), x = mod(p[0] * zi), y = mod(p[1] * zi);
    var out = new Uint8Array(32);
    for (var i = 0; i < 32; i++) { out[i] = Number(y & 255n); y >>= 8n; }
    if (x & 1n) out[31] |= 0x80;
    return out;
  }

  function leInt(b) {
    var n = 0n;
    for (var i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
    return n;
  }

  function decodePoint(b) {
    var bytes = Uint8Array.from(b);
    var sign = bytes[31] >> 7;
    bytes[31] &= 0x7f;
    var y = leInt(bytes);
    var x = recoverX(y, sign);
    if (x === null) return null;
    return [x, y, 1n, mod(x * y)];
  }

  // SHA-512 (FIPS 180-4) on 64-bit BigInt words.
  var K512 = [
    '428a2f98d728ae22', '7137449123ef65cd', 'b5c0fbcfec4d3b2f', 'e9b5dba58189dbbc', '3956c25bf348b538', '59f111f1b605d019',
    '923f82a4af194f9b', 'ab1c5ed5da6d8118', 'd807aa98a3030242', '12835b0145706fbe', '243185be4ee4b28c', '550c7dc3d5ffb4e2',
    '72be5d74f27b896f', '80deb1fe3b1696b1', '9bdc06a725c71235', 'c19bf174cf692694', 'e49b69c19ef14ad2', 'efbe4786384f25e3',
    '0fc19dc68b8cd5b5', '240ca1cc77ac9c65', '2de92c6f592b0275', '4a7484aa6ea6e483', '5cb0a9dcbd41fbd4', '76f988da831153b5',
    '983e5152ee66dfab', 'a831c66d2db43210', 'b00327c898fb213f', 'bf597fc7beef0ee4', 'c6e00bf33da88fc2', 'd5a79147930aa725',
    '06ca6351e003826f', '142929670a0e6e70', '27b70a8546d22ffc', '2e1b21385c26c926', '4d2c6dfc5ac42aed', '53380d139d95b3df',
    '650a73548baf63de', '766a0abb3c77b2a8', '81c2c92e47edaee6', '92722c851482353b', 'a2bfe8a14cf10364', 'a81a664bbc423001',
    'c24b8b70d0f89791', 'c76c51a30654be30', 'd192e819d6ef5218', 'd69906245565a910', 'f40e35855771202a', '106aa07032bbd1b8',
    '19a4c116b8d2d0c8', '1e376c085141ab53', '2748774cdf8eeb99', '34b0bcb5e19b48a8', '391c0cb3c5c95a63', '4ed8aa4ae3418acb',
    '5b9cca4f7763e373', '682e6ff3d6b2b8a3', '748f82ee5defb2fc', '78a5636f43172f60', '84c87814a1f0ab72', '8cc702081a6439ec',
    '90befffa23631e28', 'a4506cebde82bde9', 'bef9a3f7b2c67915', 'c67178f2e372532b', 'ca273eceea26619c', 'd186b8c721c0c207',
    'eada7dd6cde0eb1e', 'f57d4f7fee6ed178', '06f067aa72176fba', '0a637dc5a2c898a6', '113f9804bef90dae', '1b710b35131c471b',
    '28db77f523047d84', '32caab7b40c72493', '3c9ebe0a15c9bebc', '431d67c49c100d4c', '4cc5d4becb3e42b6', '597f299cfc657e2a',
    '5fcb6fab3ad6faec', '6c44198c4a475817'
  ].map(function (h) { return BigInt('0x' + h); });
  var M64 = (1n << 64n) - 1n;
  function rotr(x, n) { return ((x >> n) | (x << (64n - n))) & M64; }

  function sha512(msg) {
    var h = ['6a09e667f3bcc908', 'bb67ae8584caa73b', '3c6ef372fe94f82b', 'a54ff53a5f1d36f1',
      '510e527fade682d1', '9b05688c2b3e6c1f', '1f83d9abfb41bd6b', '5be0cd19137e2179'].map(function (x) { return BigInt('0x' + x); });
    var len = msg.length, padded = new Uint8Array(Math.ceil((len + 17) / 128) * 128);
    padded.set(msg);
    padded[len] = 0x80;
    var bits = BigInt(len) * 8n;
    for (var i = 0; i < 16; i++) padded[padded.length - 1 - i] = Number((bits >> BigInt(8 * i)) & 255n);
    var w = new Array(80);
    for (var off = 0; off < padded.length; off += 128) {
      for (var t = 0; t < 16; t++) {
        var v = 0n;
        for (var j = 0; j < 8; j++) v = (v << 8n) | BigInt(padded[off + 8 * t + j]);
        w[t] = v;
      }
      for (t = 16; t < 80; t++) {
        var s0 = rotr(w[t - 15], 1n) ^ rotr(w[t - 15], 8n) ^ (w[t - 15] >> 7n);
        var s1 = rotr(w[t - 2], 19n) ^ rotr(w[t - 2], 61n) ^ (w[t - 2] >> 6n);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & M64;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 80; t++) {
        var S1 = rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n);
        var ch = (e & f) ^ (~e & M64 & g);
        var t1 = (hh + S1 + ch + K512[t] + w[t]) & M64;
        var S0 = rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n);
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) & M64;
        hh = g; g = f; f = e; e = (d + t1) & M64; d = c; c = b; b = a; a = (t1 + t2) & M64;
      }
      h = [h[0] + a, h[1] + b, h[2] + c, h[3] + d, h[4] + e, h[5] + f, h[6] + g, h[7] + hh].map(function (x) { return x & M64; });
    }
    var out = new Uint8Array(64);
    for (i = 0; i < 8; i++) for (j = 0; j < 8; j++) out[8 * i + j] = Number((h[i] >> BigInt(56 - 8 * j)) & 255n);
    return out;
  }

  // ed25519Fallback reports whether sig is pub's signature of msg:
  // [S]B = R + [SHA-512(R || A || M)]A, compared as encodings, S < L.
  function ed25519Fallback(pub, msg, sig) {
    if (pub.length !== 32 || sig.length !== 64) return false;
    var A = decodePoint(pub);
    if (!A) return false;
    var s = leInt(sig.subarray(32));
    if (s >= L) return false;
    var k = mod(leInt(sha512(concat(concat(sig.subarray(0, 32), pub), msg))), L);
    var negA = [mod(-A[0]), A[1], A[2], mod(-A[3])];
    var R = add(mul(s, BASE), mul(k, negA));
    return bytesEqual(encode(R), sig.subarray(0, 32));
  }

  // ed25519 resolves to [valid, implementation]; WebCrypto first.
  function ed25519(pub, msg, sig, forceFallback) {
    var subtle = window.crypto && window.crypto.subtle;
    if (forceFallback || !subtle) return Promise.resolve([ed25519Fallback(pub, msg, sig), 'fallback']);
    return subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify'])
      .then(function (key) { return subtle.verify({ name: 'Ed25519' }, key, sig, msg); })
      .then(function (ok) { return [ok, 'webcrypto']; },
        function () { return [ed25519Fallback(pub, msg, sig), 'fallback']; });
  }

  // ---- the page ----

  var keysEl = document.getElementById('verify-keys');
  var data = { keys: [], levels: {} };
  try { data = JSON.parse(keysEl.textContent); } catch (e) { /* no keys: every payload is from an unknown key */ }

  // verifyPayload resolves to {status: 'genuine'|'invalid'|'unknown', payload, impl}.
  function verifyPayload(text, forceFallback) {
    var raw = b64urlDecode(text);
    var p = decodePayload(raw);
    if (!p) return Promise.resolve({ status: 'invalid', payload: null, impl: '' });
    var key = null;
    for (var i = 0; i < data.keys.length; i++) if (data.keys[i].id === p.keyId) key = data.keys[i];
    if (!key) return Promise.resolve({ status: 'unknown', payload: p, impl: '' });
    var pub = b64Decode(key.pub);
    if (!pub) return Promise.resolve({ status: 'invalid', payload: p, impl: '' });
    return ed25519(pub, concat(DOMAIN, p.body), p.sig, forceFallback).then(function (r) {
      var inTime = p.signedDay >= key.from && (key.until === null || key.until === undefined || p.signedDay <= key.until);
      return { status: r[0] && inTime ? 'genuine' : 'invalid', payload: p, impl: r[1], key: key };
    });
  }

  // For the browser tests: the same checks from outside.
  window.certregVerify = {
    payload: verifyPayload,
    ed25519: function (pubHex, msgHex, sigHex, forceFallback) {
      function fromHex(h) { var b = new Uint8Array(h.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(h.substr(2 * i, 2), 16); return b; }
      return ed25519(fromHex(pubHex), fromHex(msgHex), fromHex(sigHex), forceFallback).then(function (r) { return r[0]; });
    }
  };

  var VERDICT = {
    genuine: ['真实有效且未被篡改', '二维码中的证书信息带有省厅的数字签名，签名验证通过：内容与发证时一致，未被改动。', 'sig-ok'],
    invalid: ['签名无效（可能被篡改）', '二维码中的信息与省厅的数字签名不符，可能被伪造或改动。请勿采信，并向发证机构核实。', 'sig-bad'],
    unknown: ['未知密钥签发', '二维码由本页不认识的密钥签名：可能是伪造，也可能是本页保存的省厅公钥较旧。请联网后重新打开本页再扫码；仍然如此请向发证机构核实。', 'sig-unknown']
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(result) {
    var box = document.getElementById('offline-check');
    if (!box) return;
    var v = VERDICT[result.status];
    box.dataset.status = result.status;
    box.dataset.impl = result.impl || '';
    var status = document.getElementById('sig-status');
    status.className = 'verify-status ' + v[2];
    document.getElementById('sig-verdict').textContent = v[0];
    document.getElementById('sig-note').textContent = v[1];
    var dl = document.getElementById('sig-fields');
    dl.textContent = '';
    var p = result.payload;
    if (p && result.status === 'genuine') {
      [['证书编号', p.number, 'mono'], ['持证人', p.name], ['身份证号', p.maskedId, 'mono'], ['职业（工种）', p.occupation],
        ['等级', data.levels[String(p.level)] || String(p.level)], ['发证日期', dayLabel(p.issueDay)], ['发证机构代码', p.orgCode, 'mono'],
        ['证书版本', '第 ' + p.version + ' 版'], ['签名', '密钥 ' + p.keyId + '，' + dayLabel(p.signedDay) + ' 签发', 'mono']
      ].forEach(function (f) {
        dl.appendChild(el('dt', '', f[0]));
        dl.appendChild(el('dd', f[2] || '', f[1]));
      });
      dl.hidden = false;
    } else {
      dl.hidden = true;
    }
    var online = document.getElementById('sig-online');
    online.textContent = onlineNote(result);
    box.hidden = false;
  }

  // onlineNote compares the signed payload with the server's current answer
  // on this page, or says that there is none.
  function onlineNote(result) {
    var section = document.getElementById('verify');
    var lookup = section ? section.dataset.lookup : '';
    var viaQR = /[?&]n=/.test(location.search);
    if (lookup === 'form' && viaQR) {
      document.body.classList.add('verify-offline');
      if (result.status !== 'genuine') return '当前为离线核验（未连接网络）。';
      return '当前为离线核验（未连接网络）：上面的结论说明二维码内容真实；证书此后是否被注销或补办无法查询，联网后重新打开本页可查询当前状态。';
    }
    if (lookup === 'limited') return '查询过于频繁，暂时无法查询证书的当前状态；请稍后联网重试。';
    if (lookup === 'notfound') return '联网查询：服务器未查询到与二维码相符的证书记录，请向发证机构核实。';
    var card = document.getElementById('verify-result');
    if (lookup !== 'result' || !card || !result.payload || result.status !== 'genuine') return '';
    var p = result.payload, cur = card.dataset;
    if (cur.number !== p.number) return '联网查询结果是另一本证书，请以二维码所指证书为准重新扫码。';
    if (cur.status === 'cancelled') return '请注意：二维码签名真实，但该证书签发后已被注销，现已无效（见上方当前状态）。';
    if (cur.status === 'superseded') return '请注意：二维码签名真实，但该证书已补办，原证书作废' + (cur.replacedBy ? '；新证书编号 ' + cur.replacedBy : '') + '。';
    if (parseInt(cur.version, 10) > p.version) return '请注意：证书信息在打印后已变更（当前为第 ' + cur.version + ' 版，二维码为第 ' + p.version + ' 版），请以上方当前信息为准。';
    return '联网查询：证书当前有效，与二维码内容一致。';
  }

  function check() {
    var frag = location.hash.replace(/^#/, '');
    if (frag) verifyPayload(frag).then(show, function () { show({ status: 'invalid', payload: null }); });
  }
  check();
  // A new code scanned into the same page changes only the fragment.
  window.addEventListener('hashchange', check);

  // Keep the page for offline use.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/verify-sw.js', { scope: '/verify' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      var n = document.getElementById('offline-ready');
      if (n) n.hidden = false;
    }, function () { /* no offline copy: the page still works online */ });
  }
})();
