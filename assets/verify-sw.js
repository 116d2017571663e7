// Service worker of the public verification page (docs/integrity.md).
//
// Served as /verify-sw.js with the scope /verify: it keeps a copy of the
// page (without any certificate in it: fetched anonymously, without the
// query) with the province's public keys, and of the assets the page loads.
// Online, every request goes to the network and the copy is refreshed;
// offline, a link from a certificate's QR code (/verify?n=…&t=…#…) opens
// the kept page, whose script checks the signed payload in the fragment.
'use strict';

var CACHE = 'certreg-verify-v1';
var SHELL = '/verify';
var ASSETS = ['/assets/app.css', '/assets/app.js', '/assets/htmx.min.js', '/assets/icons.svg', '/assets/verify.js'];

function shellRequest() { return new Request(SHELL, { credentials: 'omit' }); }

function refreshShell(cache) {
  return fetch(shellRequest()).then(function (res) {
    if (res.ok) return cache.put(SHELL, res);
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([refreshShell(cache), cache.addAll(ASSETS), cache.add('/verify/keys')]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var req = event.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var page = url.pathname === SHELL && req.mode === 'navigate';
  var kept = url.pathname === '/verify/keys' || ASSETS.indexOf(url.pathname) >= 0;
  if (!page && !kept) return;
  event.respondWith(fetch(req).then(function (res) {
    if (res.ok) {
      // Keep the copies fresh: the page again without the certificate.
      var copy = page ? null : res.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) {
        return page ? refreshShell(cache) : cache.put(url.pathname, copy);
      }).catch(function () {}));
    }
    return res;
  }, function () {
    return caches.match(page ? SHELL : url.pathname).then(function (hit) {
      return hit || Response.error();
    });
  }));
});
