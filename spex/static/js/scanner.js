// The scan station's own script: keeps the one input focused, sends every scan once and in order
// (a scan that got no answer is resent with the same scan id until the server answers it, so a
// server restart loses nothing and records nothing twice; one the server failed on is sent again a
// few times, then given up and shown as not recorded, and the scans behind it go on), shows the
// answer and plays its tone.
(function () {
  "use strict";

  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = document.getElementById("scan-input");
  var feedback = document.getElementById("scan-feedback");
  var statusLine = document.getElementById("scan-status");
  var trouble = document.getElementById("scan-trouble");
  // Scans not yet answered survive a page reload in this browser.
  var storeKey = "spex.scan.queue." + (form.getAttribute("data-station") || "");
  var queue = load();
  var sending = false;
  var retryMs = 300;
  var answered = 0;
  var REQUEST_TIMEOUT_MS = 15000;
  var MAX_RETRY_MS = 3000;
  // A scan the server failed on (a 500: its fault, not the scan's) is sent this many times in all,
  // the waits between doubling from FAULT_RETRY_MS; then it is given up, and the queue goes on.
  var FAULT_SENDS = 4;
  var FAULT_RETRY_MS = 300;
  var TROUBLE_KEPT = 5;
  // When this page read its last scan (monotonic clock): each scan carries the gap since the one before,
  // so the server tells a scanner's double read by when the codes were read, not by when they arrived
  // (a scan kept in the queue while the server was away arrives right behind the one before it).
  var lastReadAt = null;

  // --- scan ids ----------------------------------------------------------------------------
  function newScanId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Pages served over plain http on a shop LAN are not a secure context: no randomUUID there.
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the queue of scans ---------------------------------------------------------------------
  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storeKey) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) { return []; }
  }

  // A PIN waiting to be sent stays in memory only: it is never written to this browser's storage.
  function save() {
    var kept = queue.filter(function (scan) { return !scan.secret; });
    try { window.localStorage.setItem(storeKey, JSON.stringify(kept)); } catch (e) { /* private mode: memory only */ }
  }

  function csrfToken() {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value;
    input.value = "";
    // Nothing typed: a scanner set to end with CR+LF presses Enter twice. The second press is no
    // scan; sending it would put "nothing was scanned" over the answer the operator has to read.
    if (!code.trim()) { return; }
    var now = window.performance ? window.performance.now() : Date.now();
    var gap = lastReadAt === null ? null : Math.max(0, Math.round(now - lastReadAt));
    lastReadAt = now;
    queue.push({ id: newScanId(), code: code, gap: gap, secret: input.type === "password" });
    save();
    showQueue();
    pump();
  });

  function pump() {
    if (sending || queue.length === 0) { showQueue(); return; }
    sending = true;
    var scan = queue[0];
    var body = new FormData();
    body.append("code", scan.code);
    body.append("scan_id", scan.id);
    if (typeof scan.gap === "number") { body.append("gap_ms", String(scan.gap)); }
    body.append("csrf_token", csrfToken());
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      // No answer from the application (proxy or restart): the scan may not have arrived; send it again.
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        throw new Error("server unavailable: " + response.status);
      }
      // The server failed on this scan (its fault, not the scan's): its transaction rolled back, so
      // nothing of it was recorded. It is sent again a few times with the same scan id (recorded
      // once, however often it is sent).
      if (response.status >= 500) {
        var failed = new Error("server error: " + response.status);
        failed.serverError = true;
        // Said by the server when the fault came after the scan's commit (its answer failed).
        failed.recorded = response.headers.get("X-Spex-Recorded") === "1";
        throw failed;
      }
      // A refused CSRF token (the server's key changed, or the session cookie was lost): nothing was
      // recorded; fetch a fresh token from the station page and send the same scan again, once.
      if (response.status === 400 && !scan.tokenRenewed) {
        scan.tokenRenewed = true;
        return renewToken();
      }
      return response.text().then(function (html) {
        queue.shift();
        save();
        retryMs = 300;
        // 204: the server had nothing to answer (an empty scan); the answer on screen stays.
        if (response.status !== 204) {
          show(html);
          if (response.ok && lastOutcome() !== "refused") { forgetTrouble(scan); }
        }
      });
    }).catch(function (error) {
      if (!(error && error.serverError)) {
        // No answer at all: the scan may or may not have arrived, so it is never given up; the queue
        // waits, and it is sent again until the server answers.
        showQueue("offline");
        return pause(retryMs).then(function () { retryMs = Math.min(retryMs * 2, MAX_RETRY_MS); });
      }
      scan.faults = (scan.faults || 0) + 1;
      if (scan.faults >= FAULT_SENDS) {
        giveUp(scan, error.recorded);
        return null;
      }
      save();
      showQueue("error");
      return pause(FAULT_RETRY_MS * Math.pow(2, scan.faults - 1));
    }).then(function () {
      if (timer) { clearTimeout(timer); }
      sending = false;
      pump();
    });
  }

  function pause(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // The server failed on this scan every time it was sent: it leaves the queue (the scans behind it
  // go on) and stays on screen, with what the operator does about it, until it is scanned again.
  function giveUp(scan, recorded) {
    if (queue[0] === scan) { queue.shift(); }
    save();
    var what = scan.secret ? "your PIN" : scan.code.trim();
    var item = document.createElement("li");
    item.setAttribute("data-code", scan.secret ? "" : what.toUpperCase());
    var headline = document.createElement("strong");
    var detail = document.createElement("span");
    if (recorded) {
      item.setAttribute("data-recorded", "1");
      headline.textContent = "Recorded, answer not shown: " + what;
      detail.textContent = "The server recorded this scan but had an error showing its answer. " +
        "Do not scan it again; check it in the recent scans or ask the office.";
    } else {
      headline.textContent = "Not recorded: " + what;
      detail.textContent = "The server had an error on this scan, so nothing of it was recorded. Scan it again.";
    }
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "btn btn-small";
    dismiss.textContent = "OK";
    dismiss.addEventListener("click", function () { item.remove(); tidyTrouble(); });
    item.append(headline, " ", detail, " ", dismiss);
    var list = trouble.querySelector("ul");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > TROUBLE_KEPT) { list.removeChild(list.lastElementChild); }
    trouble.hidden = false;
    tone("refused");
  }

  // A scan the server did answer takes the notice of an earlier, not recorded scan of the same code.
  function forgetTrouble(scan) {
    if (scan.secret || trouble.hidden) { return; }
    var code = scan.code.trim().toUpperCase();
    Array.prototype.slice.call(trouble.querySelectorAll("li:not([data-recorded])")).forEach(function (item) {
      if (item.getAttribute("data-code") === code) { item.remove(); }
    });
    tidyTrouble();
  }

  function tidyTrouble() {
    trouble.hidden = !trouble.querySelector("li");
  }

  function lastOutcome() {
    var answer = feedback.querySelector("[data-outcome]");
    return answer ? answer.getAttribute("data-outcome") : "refused";
  }

  function renewToken() {
    return fetch(window.location.pathname, { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (page) {
      var found = /name="csrf-token" content="([^"]+)"/.exec(page);
      var field = form.querySelector("input[name=csrf_token]");
      if (found && field) { field.value = found[1]; }
    });
  }

  function showQueue(problem) {
    var waiting = queue.length;
    var kept = waiting + (waiting === 1 ? " scan is" : " scans are");
    if (problem === "error") {
      statusLine.textContent = "The server had an error on a scan and it is sent again. " + kept +
        " kept here — keep scanning.";
      statusLine.setAttribute("data-offline", "error");
    } else if (problem) {
      statusLine.textContent = "The server is not answering. " + kept +
        " kept here and will be sent when it is back — keep scanning.";
      statusLine.setAttribute("data-offline", "1");
    } else if (waiting > 1) {
      statusLine.textContent = "Sending " + waiting + " scans…";
      statusLine.removeAttribute("data-offline");
    } else {
      statusLine.textContent = "";
      statusLine.removeAttribute("data-offline");
    }
  }

  // --- the answer ----------------------------------------------------------------------------
  function show(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    // As htmx does out of band: hx-swap-oob="true" replaces the element with the same id;
    // "afterbegin:<selector>" puts the element's children first in that list. The rest is the answer.
    Array.prototype.slice.call(template.content.querySelectorAll("[hx-swap-oob]")).forEach(function (panel) {
      var how = panel.getAttribute("hx-swap-oob");
      panel.removeAttribute("hx-swap-oob");
      if (how.indexOf("afterbegin:") === 0) {
        prependTo(document.querySelector(how.slice("afterbegin:".length)), panel);
        panel.remove();
        return;
      }
      var old = panel.id && document.getElementById(panel.id);
      if (old) { old.replaceWith(panel); } else { panel.remove(); }
    });
    feedback.replaceChildren(template.content);
    // A count of answers shown, for people watching over a shoulder and for the browser tests.
    answered += 1;
    document.body.setAttribute("data-answers", String(answered));
    tone(lastOutcome());
    hideWhileAskingPin();
    refocus();
  }

  // While the station waits for a PIN (its context says so), the field shows dots, not digits.
  function hideWhileAskingPin() {
    var context = document.getElementById("scan-context");
    var asks = !!(context && context.hasAttribute("data-asks-pin"));
    input.type = asks ? "password" : "text";
    if (asks) { input.setAttribute("inputmode", "numeric"); } else { input.removeAttribute("inputmode"); }
  }

  // New scans go on top of the recent list, once each (a resent scan is the same entry); it keeps
  // as many as the page was rendered with.
  function prependTo(list, source) {
    if (!list) { return; }
    Array.prototype.slice.call(source.children).reverse().forEach(function (entry) {
      var id = entry.getAttribute("data-scan");
      if (id && list.querySelector('[data-scan="' + id.replace(/"/g, "") + '"]')) { return; }
      list.insertBefore(entry, list.firstChild);
    });
    var keep = Number(list.getAttribute("data-keep") || 10);
    while (list.children.length > keep) { list.removeChild(list.lastElementChild); }
  }

  // --- sound: a different tone for done, waiting, refused and signed out ----------------------------
  var audio = null;
  var TONES = {
    done: [[880, 0, 0.12], [1320, 0.13, 0.12]],
    waiting: [[660, 0, 0.09]],
    refused: [[220, 0, 0.22], [180, 0.28, 0.3]],
    // falling, where done rises: nothing was recorded, the station is free for the next person
    signed_out: [[990, 0, 0.1], [740, 0.12, 0.1], [494, 0.24, 0.16]]
  };

  function tone(outcome) {
    document.body.setAttribute("data-last-tone", outcome);
    var plan = TONES[outcome];
    if (!plan) { return; }
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return; }
      audio = audio || new Context();
      if (audio.state === "suspended") { audio.resume(); }
      plan.forEach(function (note) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.type = outcome === "refused" ? "square" : "sine";
        oscillator.frequency.value = note[0];
        gain.gain.value = 0.15;
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(audio.currentTime + note[1]);
        oscillator.stop(audio.currentTime + note[1] + note[2]);
      });
    } catch (e) { /* no sound device: the colours still tell */ }
  }

  // --- focus: the input always has it, except while someone uses the CoC form ---------------------
  function mayTakeFocus() {
    var active = document.activeElement;
    return !(active && active !== input && active.closest && active.closest(".scan-lets-focus"));
  }

  function refocus() {
    if (document.activeElement !== input && mayTakeFocus()) { input.focus({ preventScroll: true }); }
  }

  input.addEventListener("blur", function () { setTimeout(refocus, 0); });
  document.addEventListener("click", function (event) {
    if (!(event.target.closest && event.target.closest(".scan-lets-focus"))) { refocus(); }
  });
  window.addEventListener("focus", refocus);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refocus(); } });

  hideWhileAskingPin();
  refocus();
  pump();
}());
