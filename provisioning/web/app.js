// sipbell admin UI: plain JS, no build step. Talks to /api/* and /sim/*.
"use strict";

const $ = (sel) => document.querySelector(sel);
let configData = null;
let tab = "status";
let timers = [];

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = typeof body === "string" ? "application/yaml" : "application/json";
    opts.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  if (res.status === 401 && path !== "/api/login") { showLogin(); throw new Error("not logged in"); }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  return { status: res.status, ok: res.ok, data };
}

function showLogin() {
  timers.forEach(clearInterval); timers = [];
  $("#app").hidden = true; $("#logout").hidden = true; $("#login").hidden = false;
  $("#password").focus();
}

async function showApp() {
  $("#login").hidden = true; $("#app").hidden = false; $("#logout").hidden = false;
  const sim = await api("GET", "/sim/state").catch(() => null);
  $("#tab-board").hidden = !(sim && sim.ok);
  select(tab);
  refreshStatus();
  timers.push(setInterval(() => { if (tab === "status") refreshStatus(); }, 2000));
  timers.push(setInterval(() => { if (tab === "history") loadHistory(); }, 3000));
  timers.push(setInterval(() => { if (tab === "board") refreshBoard(); }, 700));
}

function select(name) {
  tab = name;
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== name; });
  if (name === "config") loadConfig();
  if (name === "board") refreshBoard();
  if (name === "status") refreshStatus();
  if (name === "history") loadHistory();
}

// ---- status

// readable shows a timestamp as a person reads it (local time, to the
// second) and leaves any other value as it is.
function readable(s) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(s)) return s;
  const d = new Date(s);
  return isNaN(d) ? s : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function tree(v) {
  if (v === null || typeof v !== "object") {
    const s = document.createElement("span");
    s.textContent = v === null ? "—" : readable(String(v));
    return s;
  }
  const dl = document.createElement("dl");
  for (const [k, val] of Object.entries(v)) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.dataset.key = k; dd.appendChild(tree(val));
    dl.append(dt, dd);
  }
  return dl;
}

async function refreshStatus() {
  const r = await api("GET", "/api/status").catch(() => null);
  if (!r || !r.ok) return;
  const p = r.data.provisioning || {};
  const lc = p.last_change || {}, lf = p.last_fetch;
  const sum = $("#prov-summary");
  sum.textContent = "";
  const line = (label, res) => {
    const d = document.createElement("div");
    d.textContent = label + ": " + (res && res.outcome ? res.outcome + (res.source ? " (" + res.source + ")" : "") + (res.message ? " — " + res.message : "") : "nothing yet");
    if (res && res.errors) res.errors.forEach((e) => { const x = document.createElement("div"); x.className = "error"; x.textContent = (e.line ? "line " + e.line + ": " : "") + e.path + ": " + e.message; d.appendChild(x); });
    sum.appendChild(d);
  };
  renderDashboard(r.data.device || {});
  refreshLastCalls();
  line("Last config change", lc);
  if (lf) line("Last provisioning fetch", lf);
  if (p.age_recipient) { const d = document.createElement("div"); d.textContent = "Encrypt provisioning files to (age -r): " + p.age_recipient; sum.appendChild(d); }
  const st = $("#status-tree");
  st.textContent = "";
  st.appendChild(tree(r.data.device || {}));
  st.dataset.loaded = "1";
}

// el makes an element with text.
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// renderDashboard shows what a person looks for first: the address to
// dial, each account's registration with the reason it failed, the call
// now and the door.
function renderDashboard(dev) {
  const box = $("#dashboard");
  box.textContent = "";
  const sip = dev.sip || {};
  const row = (label, value, cls) => { const d = el("div", "", "row"); d.append(el("span", label, "label"), el("span", value, cls)); box.appendChild(d); return d; };
  if (sip.uri) row("Dial this door", sip.uri, "uri");
  const regs = sip.registrations || {};
  if (Object.keys(regs).length === 0) row("Registration", "no SIP account (called directly)");
  for (const [acct, st] of Object.entries(regs)) {
    const bad = /^failed/.test(st);
    const hint = bad && /401|403/.test(st) && !/check user and password/.test(st) ? " — check user and password" : "";
    row("Account " + acct, st + hint, bad ? "error reg" : "ok reg");
  }
  const calls = dev.calls || [];
  row("Call now", calls.length ? calls.map((c) => c.peer + " (" + c.state + ")").join(", ") : "none", calls.length ? "live" : "");
  if (dev.door && typeof dev.door === "object") row("Door", doorText(dev.door));
  row("Version", (dev.version || "") + " · up " + (dev.uptime || ""));
}

// doorText says the door station's state in words: the call, the relay,
// the contact and since when.
function doorText(d) {
  const parts = [];
  if (d.call) parts.push("call " + d.call);
  if ("relay" in d) parts.push(d.relay ? "relay released (opening)" : "relay at rest");
  if ("door_open" in d) parts.push(d.door_open ? "door open" : "door closed");
  if (d.since) parts.push("since " + readable(d.since));
  return parts.join(" · ");
}

const kindWords = { ring: "rang", answered: "answered", missed: "missed", "call-ended": "call ended", "door-opened": "door opened",
  "door-closed": "door closed", "door-left-open": "door left open", registration: "registration", config: "configuration changed",
  provisioning: "provisioning", start: "started" };

function entryText(e) {
  return [e.who, e.how ? "by " + e.how : "", e.detail].filter(Boolean).join(" · ");
}

async function refreshLastCalls() {
  const r = await api("GET", "/api/history?kind=ring,answered,missed,door-opened&limit=8").catch(() => null);
  if (!r || !r.ok) return;
  const ul = $("#last-calls");
  ul.textContent = "";
  const es = (r.data.entries || []).slice().reverse();
  if (!es.length) ul.appendChild(el("li", "nothing yet", "hint"));
  es.forEach((e) => { const li = el("li", "", "kind-" + e.kind); li.append(el("time", readable(e.time)), el("b", " " + (kindWords[e.kind] || e.kind) + " "), el("span", entryText(e))); ul.appendChild(li); });
}

// ---- history

function historyQuery() {
  const q = new URLSearchParams();
  if ($("#history-kind").value) q.set("kind", $("#history-kind").value);
  if ($("#history-since").value) q.set("since", $("#history-since").value);
  return q;
}

async function loadHistory() {
  const q = historyQuery();
  const csv = new URLSearchParams(q); csv.set("format", "csv");
  const json = new URLSearchParams(q); json.set("download", "1");
  $("#history-csv").href = "/api/history?" + csv; $("#history-json").href = "/api/history?" + json;
  q.set("limit", "500");
  const r = await api("GET", "/api/history?" + q).catch(() => null);
  if (!r || !r.ok) return;
  const tb = $("#history-table tbody");
  tb.textContent = "";
  const es = (r.data.entries || []).slice().reverse();
  if (!es.length) { const tr = el("tr"); const td = el("td", "Nothing recorded yet.", "hint"); td.colSpan = 4; tr.appendChild(td); tb.appendChild(tr); }
  es.forEach((e) => {
    const tr = el("tr", "", "kind-" + e.kind);
    tr.append(el("td", readable(e.time)), el("td", kindWords[e.kind] || e.kind), el("td", e.who || ""), el("td", [e.how ? "by " + e.how : "", e.detail].filter(Boolean).join(" · ")));
    tb.appendChild(tr);
  });
  tb.dataset.loaded = String(es.length);
}

// ---- config form

function flatten(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? prefix + "." + k : k;
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === "object")) {
      v.forEach((x, i) => flatten(x, path + "[" + i + "]", out));
    } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      flatten(v, path, out);
    } else {
      out.push([path, v]);
    }
  }
  return out;
}

function setPath(obj, path, value) {
  const parts = path.match(/[^.[\]]+/g);
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) o = o[parts[i]];
  o[parts[parts.length - 1]] = value;
}

async function loadConfig() {
  const r = await api("GET", "/api/config");
  if (!r.ok) return;
  configData = r.data;
  const box = $("#config-fields");
  box.textContent = "";
  const sets = {};
  for (const [path, v] of flatten(configData, "", [])) {
    const section = path.split(".")[0];
    if (!sets[section]) {
      const fs = document.createElement("fieldset");
      const lg = document.createElement("legend"); lg.textContent = section;
      fs.appendChild(lg); box.appendChild(fs); sets[section] = fs;
    }
    const wrap = document.createElement("div"); wrap.className = "field";
    const label = document.createElement("label");
    label.textContent = path.slice(section.length + 1) + " ";
    const input = document.createElement("input");
    input.dataset.path = path;
    if (typeof v === "boolean") { input.type = "checkbox"; input.checked = v; input.dataset.kind = "bool"; }
    else if (typeof v === "number") { input.type = "number"; input.value = v; input.dataset.kind = "number"; }
    else if (Array.isArray(v)) { input.value = v.join(", "); input.dataset.kind = "list"; input.placeholder = "comma-separated"; }
    else if (v === null) { input.value = ""; input.placeholder = "(not set)"; input.dataset.kind = "null"; }
    else { input.value = v; input.dataset.kind = "string"; if (v === "********") input.type = "password"; }
    const msg = document.createElement("div"); msg.className = "msg";
    label.appendChild(input); wrap.append(label, msg); sets[section].appendChild(wrap);
  }
  const y = await api("GET", "/api/config?format=yaml");
  $("#yaml").value = typeof y.data === "string" ? y.data : "";
}

// diff returns the JSON merge patch that turns a into b: changed keys of
// objects; lists and values whole; undefined when nothing changed.
function diff(a, b) {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const out = {};
    for (const k of Object.keys(b)) { const d = diff(a[k], b[k]); if (d !== undefined) out[k] = d; }
    return out;
  }
  return b;
}

function formConfig() {
  const out = JSON.parse(JSON.stringify(configData));
  document.querySelectorAll("#config-fields input").forEach((inp) => {
    let v = inp.value;
    switch (inp.dataset.kind) {
      case "bool": v = inp.checked; break;
      case "number": v = Number(inp.value); break;
      case "list": v = inp.value.split(",").map((s) => s.trim()).filter((s) => s !== ""); break;
      case "null": if (inp.value === "") return; break;
    }
    setPath(out, inp.dataset.path, v);
  });
  return out;
}

function showResult(r) {
  document.querySelectorAll(".field").forEach((f) => { f.classList.remove("invalid"); f.querySelector(".msg").textContent = ""; });
  const list = $("#config-errors"); list.textContent = "";
  const msg = $("#config-msg");
  if (r.ok) {
    msg.className = "ok";
    msg.textContent = "Saved: " + r.data.result.outcome + (r.data.result.message ? " — " + r.data.result.message : "");
    loadConfig();
    return;
  }
  msg.className = "error";
  msg.textContent = "Not saved: nothing was changed.";
  const errs = (r.data && r.data.errors) || [{ path: "", message: (r.data && r.data.error) || "HTTP " + r.status }];
  for (const e of errs) {
    const inp = e.path && document.querySelector('#config-fields input[data-path="' + CSS.escape(e.path) + '"]');
    if (inp) {
      const f = inp.closest(".field"); f.classList.add("invalid"); f.querySelector(".msg").textContent = e.message;
    }
    const li = document.createElement("li");
    li.textContent = (e.line ? "line " + e.line + ": " : "") + (e.path ? e.path + ": " : "") + e.message;
    list.appendChild(li);
  }
}

// ---- simulated board

async function simPost(path, body) {
  const r = await api("POST", "/sim/" + path, body);
  if (r.ok) renderBoard(r.data);
  const msg = $("#sim-phone-msg");
  if (msg) msg.textContent = r.ok ? "" : "Error: " + ((r.data && r.data.error) || r.status);
}

// The analog-phone controls (hook flash, pulse dialling, the ringer as
// measured): built once, so typing survives the board's refresh.
function renderPhone(state) {
  const pins = state.pins || [];
  const hook = pins.find(p => p.role === "hook_switch");
  let box = $("#sim-phone");
  if (!box) {
    box = document.createElement("div"); box.id = "sim-phone"; box.className = "buttons";
    box.innerHTML = '<button id="sim-flash" type="button">Hook flash</button>' +
      '<input id="sim-dial-digits" inputmode="numeric" placeholder="digits to dial" size="10">' +
      '<label>pps <input id="sim-dial-pps" type="number" min="5" max="20" value="10" size="3"></label>' +
      '<label>break % <input id="sim-dial-break" type="number" min="20" max="80" value="60" size="3"></label>' +
      '<label><input id="sim-dial-hook" type="checkbox"> by the hook</label>' +
      '<button id="sim-dial" type="button">Dial pulses</button>' +
      '<div id="sim-ringer"></div><div id="sim-phone-msg"></div>';
    $("#outputs").after(box);
    $("#sim-flash").onclick = () => simPost("flash", {});
    $("#sim-dial").onclick = async () => { // one dial at a time: it takes a while
      const b = $("#sim-dial"); b.disabled = true;
      try {
        await simPost("dial", { digits: $("#sim-dial-digits").value.trim(),
          pps: +$("#sim-dial-pps").value, break_pct: +$("#sim-dial-break").value, hook: $("#sim-dial-hook").checked });
      } finally { b.disabled = false; }
    };
  }
  box.hidden = !hook;
  $("#sim-flash").disabled = !(hook && hook.active);
  const r = state.ringer || {};
  let t = "Ringer: " + (r.ringing ? "ringing" : "silent");
  if (r.bursts) t += " — last ring " + r.on_ms + " ms" + (r.hz ? " at " + r.hz.toFixed(1) + " Hz" : "") +
    (r.off_ms ? ", pause " + r.off_ms + " ms" : "") + (r.antiphase ? ", bells in antiphase" : "") + " (" + r.bursts + " rings)";
  $("#sim-ringer").textContent = t;
}

function renderBoard(state) {
  const ins = $("#inputs"), outs = $("#outputs");
  ins.textContent = ""; outs.textContent = "";
  for (const p of state.pins || []) {
    const name = p.role.replace(/_/g, " ") + " " + (p.index + 1);
    if (p.input) {
      const b = document.createElement("button");
      b.dataset.role = p.role; b.dataset.index = p.index; b.id = "sim-" + p.role + "-" + p.index;
      b.classList.toggle("pressed", p.active);
      if (p.role === "call_button") { b.textContent = "Press " + name; b.onclick = () => simPost("press", { index: p.index }); }
      else if (p.role === "door_contact") { b.textContent = "Door: " + (p.active ? "open" : "closed"); b.onclick = () => simPost("door", { open: !p.active }); }
      else if (p.role === "hook_switch") { b.textContent = "Handset: " + (p.active ? "off hook" : "on hook"); b.onclick = () => simPost("hook", { off_hook: !p.active }); }
      else { b.textContent = name; b.disabled = true; }
      ins.appendChild(b);
    } else {
      const d = document.createElement("div");
      d.className = "led" + (p.active ? " on" : ""); d.id = "sim-" + p.role + "-" + p.index;
      d.dataset.active = p.active ? "1" : "0";
      const dot = document.createElement("span"); dot.className = "dot";
      const t = document.createElement("span"); t.textContent = name + (p.pattern ? " (" + p.pattern + ")" : "");
      d.append(dot, t); outs.appendChild(d);
    }
  }
  renderPhone(state);
}

async function refreshBoard() {
  const r = await api("GET", "/sim/state").catch(() => null);
  if (r && r.ok) renderBoard(r.data);
}

// ---- wiring

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api("POST", "/api/login", { password: $("#password").value });
    if (r.ok) { $("#password").value = ""; $("#login-error").textContent = ""; showApp(); }
    else $("#login-error").textContent = (r.data && r.data.error) || "login failed";
  });
  $("#history-kind").addEventListener("change", loadHistory);
  $("#history-since").addEventListener("change", loadHistory);
  $("#logout").addEventListener("click", async () => { await api("POST", "/api/logout"); showLogin(); });
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => select(b.dataset.tab)));
  $("#config-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const patch = diff(configData, formConfig());
    if (patch === undefined) { $("#config-msg").className = ""; $("#config-msg").textContent = "Nothing changed."; return; }
    showResult(await api("PATCH", "/api/config", patch));
  });
  $("#yaml-save").addEventListener("click", async () => showResult(await api("PUT", "/api/config", $("#yaml").value)));
  $("#call-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api("POST", "/api/actions/call", { target: $("#call-target").value });
    $("#action-msg").textContent = (r.data && (r.data.result || r.data.error)) || "HTTP " + r.status;
  });
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", async () => {
    if (b.dataset.action === "restart" && !confirm("Restart sipbell?")) return;
    const r = await api("POST", "/api/actions/" + b.dataset.action);
    $("#action-msg").textContent = (r.data && (r.data.result || r.data.error)) || "HTTP " + r.status;
  }));
  api("GET", "/api/status").then((r) => { if (r.ok) showApp(); }).catch(() => {});
});
