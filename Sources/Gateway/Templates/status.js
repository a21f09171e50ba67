/* Status page behaviour: copy buttons, countdown, long-polled status, notifications, "save QR image".
   Configuration comes from data-* attributes on #pay (HTML-escaped by the server), never from inline script text.
   Written in ES5 style so older in-app browsers (Zalo, Facebook) run it too. */
(function () {
  'use strict';
  var root = document.getElementById('pay');
  if (!root) { return; }
  var cfg = root.dataset;
  var TERMINAL = { success: 1, failed: 1, cancelled: 1, expired: 1 };
  var SHORT_POLL_MS = 5000;
  var status = cfg.status;
  var finished = !!TERMINAL[status];

  function $(id) { return document.getElementById(id); }

  /* ---------- copy buttons ---------- */
  function legacyCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function selectValue(button) {
    var value = button.parentNode.querySelector('.value');
    if (!value || !window.getSelection) { return; }
    var range = document.createRange();
    range.selectNodeContents(value);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function showCopied(button, ok) {
    var label = button.querySelector('.copy-text');
    var original = button.getAttribute('data-label') || label.textContent;
    button.setAttribute('data-label', original);
    if (ok) {
      label.textContent = cfg.textCopied;
      button.classList.add('is-done');
    } else {
      selectValue(button);
      label.textContent = cfg.textCopyFailed;
    }
    clearTimeout(button._reset);
    button._reset = setTimeout(function () {
      label.textContent = original;
      button.classList.remove('is-done');
    }, 2000);
  }

  function copy(button) {
    var text = button.getAttribute('data-copy') || '';
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { showCopied(button, true); },
        function () { showCopied(button, legacyCopy(text)); }
      );
    } else {
      showCopied(button, legacyCopy(text));
    }
  }

  var buttons = root.querySelectorAll('button.copy');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function (event) { copy(event.currentTarget); });
  }

  /* ---------- status display ---------- */
  var statusText = {
    pending: cfg.textPending, success: cfg.textSuccess, failed: cfg.textFailed,
    cancelled: cfg.textCancelled, expired: cfg.textExpiredStatus
  };

  function showStatus(next) {
    var pill = $('status');
    if (pill && statusText[next]) {
      pill.className = 'pill pill-' + next;
      $('status-text').textContent = statusText[next];
    }
  }

  function setLive(text, offline) {
    var live = $('live-text');
    if (!live) { return; }
    live.textContent = text;
    live.parentNode.classList.toggle('is-offline', !!offline);
  }

  /* Only ever navigate within our own site, whatever the JSON says. */
  function go(redirect) {
    var target = null;
    try { target = redirect ? new URL(redirect, window.location.href) : null; } catch (e) { target = null; }
    if (target && target.origin === window.location.origin) {
      window.location.replace(target.href);
    } else {
      window.location.reload();
    }
  }

  function finish(next, redirect) {
    if (finished) { return; }
    finished = true;
    showStatus(next);
    if (next === 'success') { setLive(cfg.textReceived, false); }
    setTimeout(function () { go(redirect); }, next === 'success' ? 1200 : 600);
  }

  /* ---------- countdown ---------- */
  var deadline = Date.now() + Number(cfg.expiresIn || 0) * 1000;
  var expiredShown = false;

  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return h > 0 ? h + ':' + pad(m) + ':' + pad(s) : pad(m) + ':' + pad(s);
  }

  function tick() {
    var time = $('countdown-time');
    if (!time || finished) { return; }
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    time.textContent = clock(left);
    if (left === 0) {
      if (!expiredShown) {
        expiredShown = true;
        $('countdown').classList.add('is-expired');
        $('countdown-label').textContent = cfg.textExpired;
        checkNow();
      }
      return;
    }
    setTimeout(tick, ((deadline - Date.now()) % 1000) || 1000);
  }

  /* ---------- status polling ----------
     Long-poll: the server holds the request up to waitSeconds and answers as soon as the status changes.
     A pending answer that comes back quickly is followed by a pause, so there is never more than one request
     per 5 s. After an error (or a proxy that cuts long requests) we poll every 5 s without waiting, and try
     long-polling again after a run of good answers. */
  var waitSeconds = Number(cfg.waitSeconds || 0);
  var longPoll = waitSeconds > 0;
  var goodShortPolls = 0;
  var failures = 0;
  var inFlight = false;
  var timer = 0;

  function statusURL(wait) {
    var url = cfg.refreshUrl;
    if (!wait) { return url; }
    return url + (url.indexOf('?') === -1 ? '?' : '&') + 'wait=' + wait;
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (!finished) { timer = setTimeout(poll, delay); }
  }

  function checkNow() {
    if (!inFlight) { schedule(0); }
  }

  function poll() {
    if (finished || inFlight) { return; }
    inFlight = true;
    var started = Date.now();
    var wait = longPoll ? waitSeconds : 0;
    var controller = window.AbortController ? new AbortController() : null;
    var abortTimer = controller ? setTimeout(function () { controller.abort(); }, (wait + 15) * 1000) : 0;
    fetch(statusURL(wait), {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    }).then(function (data) {
      clearTimeout(abortTimer);
      inFlight = false;
      if (failures > 0) { setLive(root.getAttribute('data-live') || '', false); }
      failures = 0;
      var next = data && (data.payment_status || data.status);
      if (TERMINAL[next]) { finish(next, data.redirect); return; }
      if (!longPoll && ++goodShortPolls >= 6 && waitSeconds > 0) { longPoll = true; }
      schedule(Math.max(0, SHORT_POLL_MS - (Date.now() - started)));
    }).catch(function () {
      clearTimeout(abortTimer);
      inFlight = false;
      failures += 1;
      longPoll = false;
      goodShortPolls = 0;
      if (failures >= 2) { setLive(cfg.textReconnecting, true); }
      schedule(SHORT_POLL_MS);
    });
  }

  /* ---------- notifications ---------- */
  var seen = {};
  /* The same format the server uses: Vietnam time (UTC+7, no daylight saving), "14:50 15/01/2024" in Vietnamese,
     "14:50, 15 Jan 2024" in English. Anything that is not a date is shown as sent. */
  var months = (cfg.months || '').split(' ');
  function noticeTime(value) {
    if (!value) { return ''; }
    var date = new Date(typeof value === 'number' ? value : String(value));
    if (isNaN(date.getTime())) { return String(value); }
    var v = new Date(date.getTime() + 7 * 3600 * 1000);
    var hm = pad(v.getUTCHours()) + ':' + pad(v.getUTCMinutes());
    if (document.documentElement.lang === 'en' && months.length === 12) {
      return hm + ', ' + v.getUTCDate() + ' ' + months[v.getUTCMonth()] + ' ' + v.getUTCFullYear();
    }
    return hm + ' ' + pad(v.getUTCDate()) + '/' + pad(v.getUTCMonth() + 1) + '/' + v.getUTCFullYear();
  }

  function addNotices(items) {
    var list = $('notification-list');
    if (!list) { return; }
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var message = typeof item === 'string' ? item : (item && (item.message || item.title || item.body));
      if (!message) { continue; }
      var when = item && item.created_at;
      var key = message + '|' + (when || '');
      if (seen[key]) { continue; }
      seen[key] = true;
      var li = document.createElement('li');
      var p = document.createElement('p');
      p.textContent = message;
      li.appendChild(p);
      if (when) {
        var t = document.createElement('time');
        t.textContent = noticeTime(when);
        li.appendChild(t);
      }
      list.insertBefore(li, list.firstChild);
    }
    if (list.children.length > 0) { $('notifications').hidden = false; }
  }

  function pollNotifications() {
    if (!cfg.notificationsUrl) { return; }
    fetch(cfg.notificationsUrl, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.notifications && data.notifications.length) { addNotices(data.notifications); }
      })
      .catch(function () { /* the next round will try again */ })
      .then(function () { setTimeout(pollNotifications, 15000); });
  }

  /* ---------- save QR image (for paying from a banking app on this same phone) ---------- */
  function setUpSaveQR() {
    var button = $('save-qr');
    var svg = root.querySelector('.qr svg');
    var canvas = document.createElement('canvas');
    if (!button || !svg || !window.XMLSerializer || !canvas.toBlob || !window.URL) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      var image = new Image();
      image.onload = function () {
        var size = 720, margin = 48;
        canvas.width = canvas.height = size + 2 * margin;
        var context = canvas.getContext('2d');
        context.fillStyle = '#ffffff';
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.imageSmoothingEnabled = false;
        context.drawImage(image, margin, margin, size, size);
        canvas.toBlob(function (blob) {
          if (!blob) { return; }
          var link = document.createElement('a');
          link.href = URL.createObjectURL(blob);
          link.download = 'VietQR-' + (cfg.paymentCode || 'payment') + '.png';
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); document.body.removeChild(link); }, 1000);
        }, 'image/png');
      };
      image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    });
  }

  /* ---------- start ---------- */
  var live = $('live-text');
  if (live) { root.setAttribute('data-live', live.textContent); }
  setUpSaveQR();
  if (finished) { return; }
  if (!window.fetch) {
    /* No fetch: behave like the no-JavaScript page and reload. */
    setTimeout(function () { window.location.reload(); }, 10000);
    return;
  }
  tick();
  poll();
  pollNotifications();
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { checkNow(); }
  });
})();
