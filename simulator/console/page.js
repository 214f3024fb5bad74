
"use strict";
(function () {
  // The token lives in this tab only: taken from the URL once (serve prints
  // /console?token=... when it generated the token), kept in sessionStorage,
  // and sent as a header (as ?token= to the stream: EventSource sends no
  // headers).
  const TOKEN_KEY = "revhook-console-token";
  const MAX_ROWS = 2000;
  const $ = (id) => document.getElementById(id);
  const state = { token: "", es: null, hooks: new Map(), entries: new Map(), selected: 0 };

  function takeToken() {
    const url = new URL(window.location.href);
    const fromURL = url.searchParams.get("token");
    if (fromURL) {
      url.searchParams.delete("token");
      // Drop the token from the address bar and the history entry.
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      try { window.sessionStorage.setItem(TOKEN_KEY, fromURL); } catch (_) { /* storage off: memory only */ }
      return fromURL;
    }
    try { return window.sessionStorage.getItem(TOKEN_KEY) || ""; } catch (_) { return ""; }
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "dataset") Object.assign(e.dataset, v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function badge(text, kind) { return el("span", { class: "badge" + (kind ? " b-" + kind : "") }, text); }

  function clock(t) {
    if (!t) return "";
    const d = new Date(t);
    if (isNaN(d.getTime())) return String(t);
    return d.toTimeString().slice(0, 8) + "." + String(d.getMilliseconds()).padStart(3, "0");
  }

  function lastPart(id) {
    if (!id) return "";
    const i = id.lastIndexOf(":");
    return i >= 0 ? id.slice(i + 1) : id;
  }

  function hookName(id) {
    const h = state.hooks.get(id);
    return h ? h.display_id : lastPart(id);
  }

  function setConn(stateName, text) {
    const c = $("conn");
    c.dataset.state = stateName;
    c.textContent = text;
  }

  function setStatus(action, ok, text) {
    const s = $("action-status");
    s.dataset.state = ok ? "ok" : "error";
    s.dataset.action = action;
    s.textContent = text;
  }

  // api calls the mock with the token and returns the decoded JSON, or
  // throws an Error whose message is the server's own error.
  async function api(method, path, body) {
    const init = { method, headers: { "Authorization": "Bearer " + state.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (err) {
      throw new Error("the mock did not answer (" + err.message + ")");
    }
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
    if (!resp.ok) {
      let msg = "HTTP " + resp.status;
      if (data && data.type) msg += " " + data.type;
      if (data && data.message) msg += ": " + data.message;
      if (data && data.detail) msg += " (" + data.detail + ")";
      if (!data && text) msg += ": " + text.slice(0, 200);
      const e = new Error(msg);
      e.status = resp.status;
      throw e;
    }
    return data;
  }

  // ---- webhooks -------------------------------------------------------

  function stateBadge(s) {
    switch (s) {
      case "active": return badge(s, "ok");
      case "degraded": return badge(s, "bad");
      case "unverified": return badge(s, "warn");
      default: return badge(s);
    }
  }

  function verifyCell(w) {
    const parts = [];
    const v = w.verify;
    if (v && v.kind === "reverify") {
      parts.push(el("div", {}, "re-verify " + (v.next_at ? "next at " + clock(v.next_at) : "in progress"), " (" + v.attempts + " sent)"));
    } else if (v && v.kind === "window") {
      parts.push(el("div", {}, "verifying: attempt " + v.attempts + (v.next_at ? ", next at " + clock(v.next_at) : "")));
      if (v.window_ends_at) parts.push(el("div", { class: "hint" }, "window ends " + clock(v.window_ends_at)));
    }
    const lv = w.last_verify;
    if (lv) {
      parts.push(el("div", { class: "hint" }, "last verify " + clock(lv.time) + ": ", lv.ok ? badge("ok", "ok") : badge(lv.error || ("HTTP " + lv.status), "bad")));
    }
    if (!parts.length) parts.push(el("span", { class: "hint" }, "—"));
    return el("td", {}, ...parts);
  }

  function renderWebhooks(list) {
    state.hooks = new Map(list.map((w) => [w.id, w]));
    const body = $("webhooks").tBodies[0];
    body.replaceChildren(...list.map((w) => el("tr", { "data-webhook-id": w.id, "data-state": w.state },
      el("td", { class: "mono", title: w.id }, w.display_id),
      el("td", { class: "mono" }, w.url),
      el("td", {}, stateBadge(w.status)),
      el("td", {}, stateBadge(w.state)),
      el("td", { title: "events in a row that exhausted their attempts; " + w.degraded_after + " degrade the webhook" },
        w.consecutive_failures + " / " + w.degraded_after),
      verifyCell(w),
      el("td", { class: "mono" }, (w.event_types || []).join(", ")))));
    $("no-webhooks").hidden = list.length > 0;
    $("webhook-count").textContent = "(" + list.length + ")";
    const sel = $("trigger-webhook");
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "every subscribed webhook"),
      ...list.map((w) => el("option", { value: w.id }, w.display_id + " (" + w.state + ")")));
    if (state.hooks.has(keep)) sel.value = keep;
    for (const tr of $("log").tBodies[0].rows) {
      const cell = tr.querySelector("td.hook");
      if (cell) cell.textContent = hookName(cell.title);
    }
  }

  // ---- the log --------------------------------------------------------

  function resultCell(e) {
    switch (e.kind) {
      case "attempt": {
        const td = el("td", {}, e.delivered ? badge("delivered", "ok") : badge("failed", "bad"));
        if (e.replay) td.append(" ", badge("replay", "warn"));
        if (e.duplicate) td.append(" ", badge("duplicate"));
        if (e.error) td.append(" ", el("span", { class: "hint" }, e.error));
        return td;
      }
      case "transition":
        return el("td", {}, (e.from || "(new)") + " → ", stateBadge(e.to), e.message ? el("span", { class: "hint" }, " " + e.message) : null);
      default:
        return el("td", {}, el("span", { class: "hint" }, e.message || ""));
    }
  }

  function replayable(e) { return e.kind === "attempt" && e.event_id && e.event_type !== "verify"; }

  function replayButton(e) {
    return el("button", { class: "small replay", type: "button", title: "re-deliver " + e.event_id + " as a new invocation",
      onclick: (ev) => { ev.stopPropagation(); replay(e.event_id); } }, "Replay");
  }

  function addEntry(e) {
    state.entries.set(e.seq, e);
    const tr = el("tr", {
      "data-seq": e.seq, "data-kind": e.kind, "data-event-id": e.event_id || null, "data-event-type": e.event_type || null,
      "data-replay": e.replay ? "true" : "false", "data-delivered": e.kind === "attempt" ? String(!!e.delivered) : null,
      onclick: () => select(e.seq),
    },
    el("td", { class: "mono nowrap", title: e.time }, clock(e.time)),
    el("td", {}, e.kind),
    el("td", { class: "mono hook nowrap", title: e.webhook_id || "" }, hookName(e.webhook_id)),
    el("td", { class: "mono", title: e.event_id || "" }, e.event_type || "", e.event_id ? el("div", { class: "hint" }, lastPart(e.event_id)) : null),
    el("td", {}, e.attempt || ""),
    el("td", {}, e.kind === "attempt" ? (e.status || "—") : ""),
    el("td", { class: "nowrap" }, e.kind === "attempt" ? (e.latency_ms || 0) + " ms" : ""),
    resultCell(e),
    el("td", {}, replayable(e) ? replayButton(e) : null));
    const body = $("log").tBodies[0];
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) {
      const last = body.rows[body.rows.length - 1];
      state.entries.delete(Number(last.dataset.seq));
      last.remove();
    }
    countRows();
  }

  function addGap(missed) {
    const body = $("log").tBodies[0];
    body.prepend(el("tr", { "data-kind": "gap" }, el("td", { colspan: 9, class: "hint" },
      missed + " entries skipped: this page fell behind (GET /simulator/deliveries has them while the log holds them)")));
    countRows();
  }

  function countRows() {
    const n = state.entries.size;
    $("no-entries").hidden = n > 0;
    $("log-count").textContent = "(" + n + ")";
  }

  function clearLog() {
    $("log").tBodies[0].replaceChildren();
    state.entries.clear();
    state.selected = 0;
    $("detail-body").replaceChildren();
    $("detail-empty").hidden = false;
    countRows();
  }

  function dl(pairs) {
    const d = el("dl");
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === "") continue;
      d.append(el("dt", {}, k), el("dd", {}, v));
    }
    return d;
  }

  function select(seq) {
    const e = state.entries.get(seq);
    if (!e) return;
    state.selected = seq;
    for (const tr of $("log").tBodies[0].querySelectorAll("tr.selected")) tr.classList.remove("selected");
    const row = $("log").tBodies[0].querySelector('tr[data-seq="' + seq + '"]');
    if (row) row.classList.add("selected");
    const parts = [];
    const hook = state.hooks.get(e.webhook_id);
    if (e.kind === "attempt") {
      parts.push(el("h3", {}, "Request"), dl([
        ["request", "POST " + (hook ? hook.url : "(webhook deleted)")],
        ["sent", e.time],
        ["webhook", hookName(e.webhook_id)],
        ["event id", el("span", { class: "mono" }, e.event_id)],
        ["type", e.event_type],
        ["timestamp", e.timestamp ? el("span", { class: "mono" }, e.timestamp) : "(not recorded)"],
        ["attempt", String(e.attempt)],
        ["replay", e.replay ? "yes: re-delivered on request" : null],
        ["duplicate", e.duplicate ? "yes: an injected duplicate" : null],
      ]), el("p", { class: "hint" }, "The delivery log keeps no request bodies: the event id, type and timestamp above identify what was sent, signed with the webhook's secret (not shown)."));
      parts.push(el("h3", {}, "Response"), dl([
        ["status", e.status ? String(e.status) : "no response"],
        ["latency", (e.latency_ms || 0) + " ms"],
        ["result", e.delivered ? "delivered" : "failed"],
        ["error", e.error],
      ]));
      parts.push(e.response_preview ? el("pre", { class: "preview" }, e.response_preview) : el("p", { class: "hint" }, "(empty response body)"));
      if (replayable(e)) parts.push(el("p", {}, replayButton(e)));
    } else if (e.kind === "transition") {
      parts.push(el("h3", {}, "State change"), dl([
        ["time", e.time], ["webhook", hookName(e.webhook_id)], ["from", e.from || "(new)"], ["to", e.to],
        ["API status", e.api_status], ["failures", e.consecutive_failures ? String(e.consecutive_failures) : null],
        ["next verify", e.next_verify], ["why", e.message],
      ]));
    } else {
      parts.push(el("h3", {}, "Note"), dl([
        ["time", e.time], ["webhook", e.webhook_id ? hookName(e.webhook_id) : null], ["event id", e.event_id],
        ["type", e.event_type], ["message", e.message],
      ]));
    }
    parts.push(el("h3", {}, "Log entry"), el("pre", {}, JSON.stringify(e, null, 2)));
    $("detail-empty").hidden = true;
    $("detail-body").replaceChildren(...parts);
  }

  // ---- actions --------------------------------------------------------

  async function trigger(ev) {
    ev.preventDefault();
    const body = { type: $("trigger-type").value.trim(), count: Number($("trigger-count").value) };
    if ($("trigger-webhook").value) body.webhook_id = $("trigger-webhook").value;
    const button = $("trigger-button");
    button.disabled = true;
    try {
      const r = await api("POST", "/simulator/events", body);
      const n = (r && typeof r.queued === "number") ? r.queued : ((r && r.events) ? r.events.length : 0);
      let text = "Triggered " + n + " " + body.type + " event" + (n === 1 ? "" : "s") + ".";
      if (r && r.skipped && r.skipped.length) text += " Skipped: " + r.skipped.map((s) => hookName(s.webhook_id) + " (" + s.reason + ")").join("; ");
      setStatus("trigger", true, text);
    } catch (err) {
      setStatus("trigger", false, "Trigger failed: " + err.message);
    } finally {
      button.disabled = false;
    }
  }

  async function replay(eventID) {
    try {
      await api("POST", "/simulator/replay", { event_id: eventID });
      setStatus("replay", true, "Replay of " + lastPart(eventID) + " queued: its attempts appear below marked replay.");
    } catch (err) {
      setStatus("replay", false, "Replay of " + lastPart(eventID) + " failed: " + err.message);
    }
  }

  // ---- the stream -----------------------------------------------------

  function on(es, name, fn) {
    es.addEventListener(name, (m) => {
      let data;
      try { data = JSON.parse(m.data); } catch (_) { return; }
      fn(data);
    });
  }

  function connect() {
    if (state.es) state.es.close();
    setConn("connecting", "connecting…");
    const es = new EventSource("/simulator/stream?token=" + encodeURIComponent(state.token));
    state.es = es;
    es.onopen = () => setConn("live", "live");
    es.onerror = () => {
      if (es.readyState === EventSource.CONNECTING) {
        setConn("reconnecting", "reconnecting…");
        return;
      }
      // The stream was refused (not retried): find out why.
      api("GET", "/simulator/webhooks").then(
        () => setConn("closed", "disconnected (reload to retry)"),
        (err) => {
          if (err.status === 401) { showLogin("The mock refused this token: " + err.message); return; }
          setConn("closed", "disconnected: " + err.message);
        });
    };
    on(es, "hello", (h) => {
      $("event-types").replaceChildren(...(h.event_types || []).map((t) => el("option", { value: t })));
      showApp();
    });
    on(es, "reset", () => clearLog());
    on(es, "entry", addEntry);
    on(es, "gap", (g) => addGap(g.missed));
    on(es, "webhooks", renderWebhooks);
    on(es, "heartbeat", (h) => { $("conn").title = "last heartbeat " + h.time; });
    on(es, "bye", (b) => { es.close(); setConn("closed", "disconnected: " + b.reason); });
  }

  function showApp() {
    $("login").hidden = true;
    $("app").hidden = false;
  }

  function showLogin(message) {
    if (state.es) { state.es.close(); state.es = null; }
    try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* memory only */ }
    state.token = "";
    setConn(message ? "denied" : "idle", message ? "token refused" : "not connected");
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token-input").focus();
  }

  function start() {
    $("trigger-form").addEventListener("submit", trigger);
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("token-input").value.trim();
      if (!t) return;
      $("token-input").value = "";
      state.token = t;
      try { window.sessionStorage.setItem(TOKEN_KEY, t); } catch (_) { /* memory only */ }
      connect();
    });
    state.token = takeToken();
    if (state.token) connect(); else showLogin("");
  }

  start();
})();
