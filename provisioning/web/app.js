// sipbell admin UI: plain JS, no build step. Talks to /api/* and /sim/*.
"use strict";

const $ = (sel) => document.querySelector(sel);
let configData = null;
let lastStatus = null; // the device part of the last status seen
let tab = "status";
let timers = [];

// selfTestText is the audio self-test's outcome in one line.
function selfTestText(r) {
  const bands = (r.bands || []).map((b) => b.hz + " Hz " + b.response_db + " dB").join(", ");
  return "Speaker and microphone: " + r.verdict + " (" + r.detail + ")" + (bands ? "; response " + bands : "");
}

// renderSelfTest shows the last self-test (kept across restarts) on the
// Actions tab, or nothing before the first.
function renderSelfTest(r) {
  $("#self-test-last").textContent = r ? "Last self-test, " + readable(r.time) + ": " + selfTestText(r) : "";
}

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
  stopEvents();
  $("#app").hidden = true; $("#logout").hidden = true; $("#login").hidden = false;
  $("#password").focus();
}

async function showApp() {
  $("#login").hidden = true; $("#app").hidden = false; $("#logout").hidden = false;
  const sim = await api("GET", "/sim/state").catch(() => null);
  $("#tab-board").hidden = !(sim && sim.ok);
  startEvents(); // its first event is the status: no GET /api/status beside it
  select(tab);
  timers.push(setInterval(() => { if (tab === "history") loadHistory(); }, 3000));
  timers.push(setInterval(() => { if (tab === "log") loadLog(); }, 3000));
  timers.push(setInterval(() => { if (tab === "board") refreshBoard(); }, 700));
}

function select(name) {
  tab = name;
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== name; });
  if (name === "config") loadConfig();
  if (name === "board") refreshBoard();
  if (name === "status" && !events) refreshStatus();
  if (name === "history") loadHistory();
  if (name === "log") loadLog();
  if (name === "actions") loadGuests();
}

// ---- guest codes (Actions tab)

async function loadGuests() {
  const r = await api("GET", "/api/guests");
  $("#guests").hidden = r.status === 404;
  const body = $("#guest-table tbody");
  body.textContent = "";
  for (const g of (r.ok && r.data.guests) || []) {
    const tr = el("tr");
    const until = g.valid_until ? new Date(g.valid_until).toLocaleString() : "no end";
    const uses = g.max_uses ? g.uses + " of " + g.max_uses : String(g.uses);
    [g.name, (g.relays || [1]).join(", "), until, uses].forEach((t) => tr.append(el("td", t)));
    const revoke = el("button", "Revoke", "danger");
    revoke.type = "button";
    revoke.addEventListener("click", async () => {
      const d = await api("DELETE", "/api/guests/" + encodeURIComponent(g.name));
      $("#guest-msg").textContent = (d.data && (d.data.result || d.data.error)) || "HTTP " + d.status;
      loadGuests();
    });
    const td = el("td"); td.append(revoke); tr.append(td);
    body.append(tr);
  }
}

async function createGuest() {
  const relays = $("#guest-relays").value.split(/[ ,]+/).filter((s) => s).map(Number);
  const req = { name: $("#guest-name").value, relays, max_uses: Number($("#guest-uses").value) || 0 };
  if ($("#guest-until").value) req.valid_until = new Date($("#guest-until").value).toISOString();
  const r = await api("POST", "/api/guests", req);
  $("#guest-msg").textContent = r.ok ? "Code for " + r.data.guest.name + ": " + r.data.code + "# (shown only now)"
    : (r.data && r.data.error) || "HTTP " + r.status;
  loadGuests();
}

// ---- live status: server-sent events from /api/events

let events = null;

function startEvents() {
  stopEvents();
  const es = new EventSource("/api/events");
  events = es;
  es.addEventListener("status", (ev) => { try { applyStatus(JSON.parse(ev.data)); } catch (e) { /* a torn event: the next one comes */ } });
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED || events !== es) return; // reconnecting by itself
    // Refused (logged out, too many pages open): a 401 shows the login,
    // else show the status once and try again a little later.
    api("GET", "/api/status").then((r) => {
      if (!r.ok || events !== es) return;
      applyStatus(r.data);
      setTimeout(() => { if (events === es) startEvents(); }, 10000);
    }).catch(() => {});
  };
}

function stopEvents() { if (events) { events.close(); events = null; } }

// ---- log viewer

async function loadLog() {
  const r = await api("GET", "/api/logs?n=300").catch(() => null);
  if (!r || !r.ok) return;
  const pre = $("#log-lines");
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = (r.data.lines || []).join("\n");
  pre.dataset.loaded = String((r.data.lines || []).length);
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// ---- status

// readable shows a timestamp as a person reads it (local time, to the
// second) and leaves any other value as it is.
function readable(s) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(s)) return s;
  const d = new Date(s);
  if (isNaN(d)) return s;
  const o = { dateStyle: "medium", timeStyle: "medium" };
  if (deviceZone) o.timeZone = deviceZone; // device.time_zone, else this browser's
  try { return d.toLocaleString(undefined, o); } catch (e) { return d.toLocaleString(); }
}

// deviceZone is the device's time zone (device.time_zone) from the
// status, "" when none is set: the page then shows the browser's.
let deviceZone = "";

// zoneOptions lists the time zones for the select: the system's, the
// browser's own first, then every zone the browser knows.
function zoneOptions(current) {
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  let all = [];
  try { all = Intl.supportedValuesOf("timeZone"); } catch (e) { /* an old browser: the few below */ }
  const names = [...new Set([current, mine, "UTC", ...all].filter(Boolean))];
  return [["", "the system's (UTC on the Pi image)"], ...names.map((z) => [z, z === mine ? z + " (this browser's)" : z])];
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
  if (r && r.ok) applyStatus(r.data);
}

let lastCallsKey = null;

// applyStatus shows a status (from GET /api/status or an event).
function applyStatus(data) {
  const r = { data };
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
  lastStatus = r.data.device || {};
  deviceZone = lastStatus.time_zone || "";
  renderDashboard(lastStatus);
  renderFirmware(lastStatus.firmware);
  renderPins(lastStatus.pins);
  renderSelfTest(lastStatus.audio_self_test);
  if (tab === "config") showRegistrations();
  const key = JSON.stringify([lastStatus.calls, lastStatus.door, lc]);
  if (key !== lastCallsKey) { lastCallsKey = key; refreshLastCalls(); }
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
  if (dev.door && typeof dev.door === "object" && dev.door.mode === "ata") {
    row("Voicemail", dev.door.voicemail ? "messages waiting" : "no new messages", dev.door.voicemail ? "vm live" : "vm");
  } else if (dev.door && typeof dev.door === "object") row("Door", doorText(dev.door));
  row("Version", (dev.version || "") + " · up " + (dev.uptime || ""));
}

// pinWords says what an active or idle pin means for its role.
const pinWords = { call_button: ["pressed", "idle"], door_contact: ["open", "closed"], hook_switch: ["off hook", "on hook"],
  tamper: ["open", "closed"], door_relay: ["released (opening)", "at rest"] };

// renderPins shows the board's pins in a compact table: role and index,
// the header pin, and its state in words.
function renderPins(pins) {
  $("#pins-card").hidden = !pins || !pins.length;
  const tb = $("#pins tbody");
  const key = JSON.stringify(pins || []);
  if (tb.dataset.key === key) return; // unchanged: keep the table as it is
  tb.dataset.key = key;
  tb.textContent = "";
  for (const p of pins || []) {
    const words = pinWords[p.role] || (p.input ? ["active", "idle"] : ["on", "off"]);
    const tr = el("tr", "", p.active ? "pin-on" : "");
    tr.dataset.role = p.role + "-" + p.index;
    tr.append(el("td", p.role.replace(/_/g, " ") + " " + (p.index + 1)), el("td", p.pin || "—"),
      el("td", (p.active ? words[0] : words[1]) + (p.pattern && p.pattern !== "off" && p.pattern !== "on" ? " (" + p.pattern + ")" : "")));
    tb.appendChild(tr);
  }
}

// renderFirmware shows the running firmware, the last update (installed,
// refused or rolled back, with why) and the last manifest check.
function renderFirmware(fw) {
  const box = $("#firmware-info");
  box.textContent = "";
  $("#firmware").hidden = !fw;
  if (!fw) return;
  const row = (label, value, cls) => { const d = el("div", "", "row"); d.append(el("span", label, "label"), el("span", value, cls)); box.appendChild(d); };
  row("Running", (fw.running || "?") + (fw.platform ? " (" + fw.platform + ")" : ""));
  const u = fw.last_update || {};
  if (u.phase) {
    const words = { installed: "installed", failed: "failed, back on the previous firmware", refused: "refused", trial: "being tried" };
    row("Last update", [u.version, words[u.phase] || u.phase, u.from ? "from " + u.from : "", u.time ? readable(u.time) : ""].filter(Boolean).join(" · "),
      u.phase === "installed" ? "ok" : u.phase === "trial" ? "" : "error fw-last");
    if (u.reason) row("Why", u.reason, "error fw-why");
  } else row("Last update", "none yet");
  const c = fw.last_manifest_check || {};
  if (c.result) row("Last check", c.result + (c.time ? " · " + readable(c.time) : ""));
}

async function checkFirmware() {
  const msg = $("#firmware-msg");
  msg.className = ""; msg.textContent = "Asking…";
  const r = await api("POST", "/api/actions/firmware-check");
  msg.className = r.ok ? "ok" : "error";
  msg.textContent = (r.data && (r.data.result || r.data.error)) || "HTTP " + r.status;
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
  provisioning: "provisioning", start: "started", password: "password reset", dnd: "do-not-disturb" };

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
  const tz = deviceZone || Intl.DateTimeFormat().resolvedOptions().timeZone; // downloads in the device's zone, else this browser's
  const csv = new URLSearchParams(q); csv.set("format", "csv"); if (tz) csv.set("tz", tz);
  const json = new URLSearchParams(q); json.set("download", "1"); if (tz) json.set("tz", tz);
  $("#history-csv").href = "/api/history?" + csv; $("#history-json").href = "/api/history?" + json;
  $("#history-zone").textContent = "Times in " + (tz || "UTC") + (deviceZone ? " (the device's zone)." : " (this browser's zone).");
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

// ---- settings: the tasks an installer has, then every key

let draft = null; // configData as the person is editing it

function clone(v) { return JSON.parse(JSON.stringify(v)); }

function getPath(obj, path) {
  return path.match(/[^.[\]]+/g).reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const parts = path.match(/[^.[\]]+/g);
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (o[parts[i]] == null) o[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    o = o[parts[i]];
  }
  o[parts[parts.length - 1]] = value;
}

const listOf = (s) => s.split(/[,\n]/).map((x) => x.trim()).filter((x) => x !== "");

// field makes a labelled input bound to path in draft. kind: text, list
// (comma-separated), secret (never shown: "set" or "not set"), bool, select.
function field(label, path, kind, opts) {
  opts = opts || {};
  const wrap = el("div", undefined, "field");
  const lab = el("label", label + " ");
  let input;
  const v = getPath(draft, path);
  if (kind === "select") {
    input = document.createElement("select");
    for (const [val, text] of opts.options) { const o = el("option", text); o.value = val; input.appendChild(o); }
    input.value = v || opts.options[0][0];
  } else {
    input = document.createElement("input");
    if (kind === "bool") { input.type = "checkbox"; input.checked = !!v; lab.classList.add("check"); }
    else if (kind === "list") input.value = (v || []).join(", ");
    else if (kind === "secret") {
      input.type = "password"; input.autocomplete = "new-password";
      input.placeholder = v ? "set — type a new one to change it" : "not set";
    } else input.value = v == null ? "" : v;
  }
  if (opts.placeholder) input.placeholder = opts.placeholder;
  input.dataset.path = path;
  input.addEventListener("input", () => {
    let nv = input.value;
    if (kind === "bool") nv = input.checked;
    else if (kind === "list") nv = listOf(input.value);
    else if (kind === "secret" && nv === "") nv = getPath(configData, path) || "";
    setPath(draft, path, nv);
  });
  input.addEventListener("change", () => input.dispatchEvent(new Event("input")));
  lab.appendChild(input);
  wrap.append(lab);
  if (opts.help) wrap.appendChild(el("div", opts.help, "hint"));
  wrap.appendChild(el("div", "", "msg"));
  return wrap;
}

// registrationOf finds account a's registration state in the status.
function registrationOf(a, regs) {
  regs = regs || (lastStatus && lastStatus.sip && lastStatus.sip.registrations) || {};
  const host = (a.domain || a.registrar || "").replace(/^sips?:/, "").split(";")[0];
  for (const [k, st] of Object.entries(regs)) {
    if (a.user && k.includes(a.user + "@") && (!host || k.includes(host.split(":")[0]))) return st;
  }
  return "";
}

function renderAccounts() {
  const box = $("#accounts");
  box.textContent = "";
  const accts = (draft.sip && draft.sip.accounts) || [];
  if (!accts.length) box.appendChild(el("p", "No account: the door is called directly at its address.", "hint"));
  accts.forEach((a, i) => {
    const card = el("div", undefined, "entry");
    card.appendChild(el("h3", "Account " + (i + 1)));
    card.append(
      field("Registrar (PBX address)", `sip.accounts[${i}].registrar`, "text", { placeholder: "pbx.example.com or 192.168.1.10:5060" }),
      field("User", `sip.accounts[${i}].user`, "text", { placeholder: "door" }),
      field("Password", `sip.accounts[${i}].password`, "secret"));
    const st = el("p", "", "reg-state"); st.dataset.account = String(i);
    const rm = el("button", "Remove this account"); rm.type = "button"; rm.className = "danger";
    rm.onclick = () => { draft.sip.accounts.splice(i, 1); renderSettings(); };
    const test = el("button", "Save and test registration"); test.type = "button"; test.className = "test-reg";
    test.onclick = () => saveSettings(i);
    const bar = el("div", undefined, "buttons"); bar.append(test, rm);
    card.append(st, bar);
    box.appendChild(card);
  });
  showRegistrations();
}

// regTest is the outcome of the last "save and test registration":
// {i: the account's index, text, cls}; null: none.
let regTest = null;

// showRegistrations writes each account's registration under it.
function showRegistrations() {
  document.querySelectorAll(".reg-state").forEach((p) => {
    const a = ((draft && draft.sip && draft.sip.accounts) || [])[+p.dataset.account];
    if (!a) return;
    if (regTest && regTest.i === +p.dataset.account) { // a test's own outcome stays until the next save
      p.textContent = regTest.text; p.className = "reg-state test-result " + regTest.cls; return;
    }
    const st = registrationOf(a);
    p.textContent = "Registration: " + (st || (configData && getPath(configData, `sip.accounts[${p.dataset.account}]`) ? "not yet" : "saved accounts only"));
    p.className = "reg-state " + (/^failed/.test(st) ? "error" : /^registered/.test(st) ? "ok" : "");
  });
}

function renderButtons() {
  const box = $("#buttons");
  box.textContent = "";
  const buttons = (draft.device && draft.device.buttons) || [];
  buttons.forEach((b, i) => {
    const card = el("div", undefined, "entry");
    card.appendChild(el("h3", "Button " + (i + 1)));
    card.append(
      field("Calls", `device.buttons[${i}].targets`, "list", { placeholder: "201, sip:alice@pbx.example", help: "Numbers or SIP addresses, separated by commas." }),
      field("Order", `device.buttons[${i}].order`, "select", { options: [["hunt", "one after the other"], ["parallel", "all at once"]] }));
    const rm = el("button", "Remove this button"); rm.type = "button"; rm.className = "danger";
    rm.onclick = () => { draft.device.buttons.splice(i, 1); renderSettings(); };
    card.appendChild(rm);
    box.appendChild(card);
  });
}

function renderSettings() {
  renderAccounts();
  renderButtons();
  const door = $("#door-fields");
  door.textContent = "";
  door.append(
    field("Code that opens the door", "device.door.code", "text", { placeholder: "1234#", help: "Typed on the phone's keypad during a call. Empty: the keypad opens nothing." }),
    field("Who may open it", "device.door.allowed", "list", { placeholder: "sip:alice@pbx.example, bob", help: "Checked against who the PBX says is calling, never a header the caller writes." }),
    field("The people a button called may open it too", "device.door.targets_may_open", "bool"));
  const ata = getPath(draft, "device.mode") === "ata";
  $("#phone-settings").hidden = !ata;
  $("#buttons-settings").hidden = ata; $("#door-settings").hidden = ata; // the door station's, not the phone's
  const pf = $("#phone-fields");
  pf.textContent = "";
  if (ata) pf.append(field("Voicemail subscription", "device.phone.voicemail_subscription", "select", {
    options: [["on", "on"], ["off", "off"]],
    help: "On: the device asks the PBX for the messages waiting (they make the dial tone stutter and show on the Status page). " +
      "Off: only what the PBX sends unasked." }));
  renderSound();
  const tf = $("#time-fields");
  tf.textContent = "";
  tf.append(field("Time zone", "device.time_zone", "select", { options: zoneOptions(getPath(draft, "device.time_zone")),
    help: "The log, the history and message texts read in this zone." }));
  const adm = $("#admin-fields");
  adm.textContent = "";
  adm.append(field("New password for this page", "provisioning.admin.password", "secret", { placeholder: "unchanged — type a new one to change it", help: "Everyone logged in logs in again with the new one." }));
}

// renderSound shows the sound card's mixer controls audio.mixer sets
// (the speaker's volume, the microphone's gain...), each value editable;
// saved, they are set on the card at once (the core applies audio.mixer
// at every change). Hidden when no control is configured.
function renderSound() {
  const controls = getPath(draft, "audio.mixer.controls") || [];
  $("#sound-settings").hidden = controls.length === 0;
  const sf = $("#sound-fields");
  sf.textContent = "";
  controls.forEach((c, i) => sf.append(field(c.name + (c.index ? " (" + c.index + ")" : ""),
    "audio.mixer.controls[" + i + "].value", "text", { placeholder: "75%",
      help: i === controls.length - 1 ? "A percentage of the control's range (75%), a number in it, on or off, or an item's name. Set on the sound card when saved." : undefined })));
}

// ---- every key (advanced)

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

function renderAllFields() {
  const box = $("#config-fields");
  box.textContent = "";
  const sets = {};
  for (const [path, v] of flatten(configData, "", [])) {
    const section = path.split(".")[0];
    if (!sets[section]) {
      const fs = document.createElement("fieldset");
      fs.appendChild(el("legend", section));
      box.appendChild(fs); sets[section] = fs;
    }
    const wrap = el("div", undefined, "field");
    const label = el("label", path.slice(section.length + 1) + " ");
    const input = document.createElement("input");
    input.dataset.path = path;
    if (typeof v === "boolean") { input.type = "checkbox"; input.checked = v; input.dataset.kind = "bool"; }
    else if (typeof v === "number") { input.type = "number"; input.value = v; input.dataset.kind = "number"; }
    else if (Array.isArray(v)) { input.value = v.join(", "); input.dataset.kind = "list"; input.placeholder = "comma-separated"; }
    else if (v === null) { input.value = ""; input.placeholder = "(not set)"; input.dataset.kind = "null"; }
    else { input.value = v; input.dataset.kind = "string"; if (v === "********") input.type = "password"; }
    label.appendChild(input); wrap.append(label, el("div", "", "msg")); sets[section].appendChild(wrap);
  }
}

async function loadConfig() {
  const r = await api("GET", "/api/config");
  if (!r.ok) return;
  configData = r.data;
  draft = clone(configData);
  renderSettings();
  renderAllFields();
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

function allFieldsConfig() {
  const out = clone(configData);
  document.querySelectorAll("#config-fields input").forEach((inp) => {
    let v = inp.value;
    switch (inp.dataset.kind) {
      case "bool": v = inp.checked; break;
      case "number": v = Number(inp.value); break;
      case "list": v = listOf(inp.value); break;
      case "null": if (inp.value === "") return; break;
    }
    setPath(out, inp.dataset.path, v);
  });
  return out;
}

// save sends the change from configData to next; with testAccount (an
// index) the answer waits for the registrations the saved configuration
// made, and that account's outcome is shown under it (regTest).
async function save(next, testAccount) {
  const patch = diff(configData, next);
  const msg = $("#config-msg");
  regTest = null;
  if (patch === undefined && testAccount === undefined) { msg.className = ""; msg.textContent = "Nothing changed."; return; }
  const acct = testAccount === undefined ? null : clone(next.sip.accounts[testAccount]);
  msg.className = ""; msg.textContent = patch === undefined ? "Nothing changed; testing the registration…" : "Saving…";
  if (acct) { regTest = { i: testAccount, text: "Registration test: waiting for the registrar…", cls: "" }; showRegistrations(); }
  const r = await api("PATCH", "/api/config" + (acct ? "?await=registration" : ""), patch === undefined ? {} : patch);
  if (patch !== undefined || !r.ok) showResult(r); else msg.textContent = "Nothing changed.";
  if (!acct) return;
  if (!r.ok) { regTest = null; showRegistrations(); return; }
  const st = registrationOf(acct, r.data.registrations || {});
  const bad = !st || /^failed/.test(st);
  const hint = bad && /401|403/.test(st) && !/check user and password/.test(st) ? " — check user and password" : "";
  regTest = { i: testAccount, text: "Registration test: " + (st ? st + hint : r.data.registration_error || "no answer"), cls: bad ? "error" : "ok" };
  showRegistrations();
}

const saveSettings = (testAccount) => save(draft, testAccount);

// fieldsFor finds the inputs an error path is about (in the task form
// and under All settings): the same path, else the closest one above it
// ("device.buttons[0].targets[1]" → the targets).
function fieldsFor(path) {
  const up = /(\.[^.[\]]+|\[\d+\])$/;
  for (let p = path; p; p = p.replace(up, "")) {
    const found = document.querySelectorAll('#config [data-path="' + CSS.escape(p) + '"]');
    if (found.length || !up.test(p)) return [...found];
  }
  return [];
}

function showResult(r) {
  document.querySelectorAll(".field").forEach((f) => { f.classList.remove("invalid"); const m = f.querySelector(".msg"); if (m) m.textContent = ""; });
  const list = $("#config-errors"); list.textContent = "";
  const msg = $("#config-msg");
  if (r.ok) {
    msg.className = "ok";
    msg.textContent = "Saved: " + r.data.result.outcome + (r.data.result.message ? " — " + r.data.result.message : "");
    loadConfig();
    return;
  }
  msg.className = "error";
  msg.textContent = "Not saved: nothing was changed. See the fields marked below.";
  const errs = (r.data && r.data.errors) || [{ path: "", message: (r.data && r.data.error) || "HTTP " + r.status }];
  for (const e of errs) {
    for (const inp of e.path ? fieldsFor(e.path) : []) {
      const f = inp.closest(".field"); f.classList.add("invalid"); f.querySelector(".msg").textContent = e.message;
    }
    list.appendChild(el("li", (e.line ? "line " + e.line + ": " : "") + (e.path ? e.path + ": " : "") + e.message));
  }
}

// ---- backup and restore

async function downloadBackup() {
  const msg = $("#backup-msg");
  msg.className = ""; msg.textContent = "Making the backup…";
  const res = await fetch("/api/backup", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ passphrase: $("#backup-pass").value }) });
  if (!res.ok) { msg.className = "error"; msg.textContent = "No backup: HTTP " + res.status; return; }
  const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
  const a = el("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = name ? name[1] : "sipbell-backup";
  document.body.appendChild(a); a.click(); a.remove();
  msg.className = "ok"; msg.textContent = "Backup downloaded" + ($("#backup-pass").value ? " (encrypted)." : " (not encrypted: it holds passwords).");
}

async function restoreBackup() {
  const msg = $("#backup-msg");
  const f = $("#restore-file").files[0];
  if (!f) { msg.className = "error"; msg.textContent = "Choose a backup file first."; return; }
  msg.className = ""; msg.textContent = "Restoring…";
  const res = await fetch("/api/restore", { method: "POST", credentials: "same-origin",
    headers: { "X-Backup-Passphrase": $("#backup-pass").value }, body: await f.arrayBuffer() });
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (res.ok) { msg.className = "ok"; msg.textContent = "Restored: " + data.message; loadConfig(); return; }
  msg.className = "error";
  msg.textContent = "Not restored: " + ((data && (data.error || (data.errors || []).map((e) => e.path + ": " + e.message).join("; "))) || "HTTP " + res.status);
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
  $("#logout").addEventListener("click", async () => { stopEvents(); await api("POST", "/api/logout"); showLogin(); });
  $("#log-refresh").addEventListener("click", loadLog);
  $("#backup-download").addEventListener("click", downloadBackup);
  $("#restore").addEventListener("click", restoreBackup);
  $("#firmware-check").addEventListener("click", checkFirmware);
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => select(b.dataset.tab)));
  $("#settings-form").addEventListener("submit", (ev) => { ev.preventDefault(); saveSettings(); });
  $("#config-form").addEventListener("submit", (ev) => { ev.preventDefault(); save(allFieldsConfig()); });
  $("#add-account").addEventListener("click", () => {
    if (!draft.sip.accounts) draft.sip.accounts = [];
    draft.sip.accounts.push({ registrar: "", user: "", password: "" }); renderSettings();
  });
  $("#add-button").addEventListener("click", () => {
    if (!draft.device.buttons) draft.device.buttons = [];
    draft.device.buttons.push({ targets: [], order: "hunt" }); renderSettings();
  });
  $("#yaml-save").addEventListener("click", async () => showResult(await api("PUT", "/api/config", $("#yaml").value)));
  $("#guest-form").addEventListener("submit", (ev) => { ev.preventDefault(); createGuest(); });
  $("#call-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await api("POST", "/api/actions/call", { target: $("#call-target").value });
    $("#action-msg").textContent = (r.data && (r.data.result || r.data.error)) || "HTTP " + r.status;
  });
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", async () => {
    if (b.dataset.action === "restart" && !confirm("Restart sipbell?")) return;
    const r = await api("POST", "/api/actions/" + b.dataset.action);
    if (r.ok && r.data && r.data.verdict) { $("#action-msg").textContent = selfTestText(r.data); return; }
    $("#action-msg").textContent = (r.data && (r.data.result || r.data.error)) || "HTTP " + r.status;
  }));
  api("GET", "/api/status").then((r) => { if (r.ok) showApp(); }).catch(() => {});
});
