// Browser UI for the chat example, served at "/": inline CSS and an inline module script,
// which imports roomwire/client from /client.js (see app.ts and scripts/build-client.mjs).
// It deliberately uses string concatenation and no backticks, "${" (but the shared helpers') or backslashes,
// so nothing in it is interpreted by this template literal.
import { pageHelpers } from "../shared/page-helpers.ts";

export const chatPage: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat</title>
<style>
:root{--bg:#f5f6f8;--panel:#fff;--line:#e2e5ea;--text:#1c2228;--muted:#6a7480;--accent:#3a6df0;--ok:#1f9d55;--warn:#d98a06;--err:#c0392b;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--panel:#1c2025;--line:#2c3238;--text:#e5e8eb;--muted:#8c96a0;--accent:#6d94ff;--err:#ff7b6b}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{height:100%;margin:0}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
button,input{font:inherit;color:inherit}
input{width:100%;padding:.6rem .75rem;border:1px solid var(--line);border-radius:8px;background:var(--panel);color:var(--text)}
input:focus{outline:2px solid var(--accent);outline-offset:-1px}
button{padding:.6rem 1.1rem;border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:600;cursor:pointer}
button:hover{filter:brightness(1.08)}
button.ghost{background:transparent;color:var(--muted);border:1px solid var(--line);padding:.35rem .8rem;font-weight:500}
.card{max-width:380px;margin:12vh auto 0;padding:1.75rem;background:var(--panel);border:1px solid var(--line);border-radius:14px;box-shadow:0 4px 20px rgba(0,0,0,.05)}
.card h1{margin:0 0 1.1rem;font-size:1.3rem}
label{display:block;margin-bottom:.9rem;font-size:.85rem;color:var(--muted)}
label input{margin-top:.3rem;font-size:1rem}
.error{margin:0 0 .9rem;color:var(--err);font-size:.85rem}
#join button{width:100%}
#chat-view{display:flex;flex-direction:column;height:100vh;height:100dvh;max-width:1100px;margin:0 auto;background:var(--panel);border-inline:1px solid var(--line)}
header{display:flex;align-items:center;gap:.75rem;padding:.7rem 1rem;border-bottom:1px solid var(--line)}
header h1{margin:0;font-size:1.05rem;flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.status{display:flex;align-items:center;gap:.4rem;font-size:.8rem;color:var(--muted);white-space:nowrap}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--muted)}
.status[data-state=connected]::before{background:var(--ok)}
.status[data-state=reconnecting]::before{background:var(--warn)}
.status[data-state=closed]::before{background:var(--err)}
.layout{flex:1;display:flex;min-height:0}
aside{width:210px;flex:none;padding:.9rem 1rem;border-right:1px solid var(--line);overflow-y:auto;background:var(--bg)}
aside h2{margin:0 0 .5rem;font-size:.72rem;text-transform:uppercase;letter-spacing:.07em;color:var(--muted)}
ul{list-style:none;margin:0;padding:0}
#peers li{padding:.15rem 0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#peers li.me{font-weight:600}
#peers .you{font-weight:400;color:var(--muted)}
#messages{flex:1;overflow-y:auto;padding:1rem;display:flex;flex-direction:column;gap:.7rem}
.msg .meta{font-size:.78rem;color:var(--muted)}
.msg .who{font-weight:600;font-size:.88rem;color:var(--text);margin-right:.45rem}
.msg.mine .who{color:var(--accent)}
.msg .body{white-space:pre-wrap;overflow-wrap:anywhere}
.note{font-size:.78rem;color:var(--muted);text-align:center}
.notice{margin:0;padding:0 1rem;min-height:1.2em;font-size:.78rem;color:var(--err)}
#send{display:flex;gap:.5rem;padding:.4rem 1rem .9rem}
@media (max-width:600px){
  #chat-view{border:0}
  .layout{flex-direction:column}
  aside{width:auto;max-height:5.5rem;padding:.5rem 1rem;border-right:0;border-bottom:1px solid var(--line)}
  aside h2{margin-bottom:.25rem}
  #peers{display:flex;flex-wrap:wrap;gap:0 .9rem}
  .card{margin:1rem}
  header{padding:.6rem .75rem}
  #send{padding:.4rem .75rem .75rem}
}
</style>
</head>
<body>
<main id="join-view" class="card">
  <h1>Join a room</h1>
  <form id="join" novalidate>
    <label>Room <input id="room" name="room" maxlength="128" autocomplete="off" autocapitalize="off" spellcheck="false"></label>
    <label>Your name <input id="user" name="user" maxlength="32" autocomplete="nickname" autocapitalize="off" spellcheck="false"></label>
    <p id="join-error" class="error" role="alert" hidden></p>
    <button type="submit">Join</button>
  </form>
</main>
<div id="chat-view" hidden>
  <header>
    <h1 id="room-name"></h1>
    <span id="status" class="status" role="status"></span>
    <button id="leave" type="button" class="ghost">Leave</button>
  </header>
  <div class="layout">
    <aside><h2>Here now</h2><ul id="peers"></ul></aside>
    <ul id="messages" aria-live="polite"></ul>
  </div>
  <p id="notice" class="notice"></p>
  <form id="send" autocomplete="off">
    <input id="text" name="text" maxlength="2000" placeholder="Write a message…" aria-label="Message">
    <button type="submit">Send</button>
  </form>
</div>
<script type="module">
// roomwire/client, bundled by scripts/build-client.mjs and served by app.ts: it reconnects with
// backoff, sends heartbeats, queues sends while offline and resumes the room's events.
import { connect } from "/client.js";

const ROOM_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const USER_RE = /^[A-Za-z0-9_-]{1,32}$/;
let client = null, myId = "", room = "", user = "";
const peers = new Map();

${pageHelpers}
function pad(n) { return (n < 10 ? "0" : "") + n; }
function hhmm(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()); }

const params = new URLSearchParams(location.search);
el("room").value = params.get("room") || load("chat.room") || "lobby";
el("user").value = params.get("user") || load("chat.user") || "";
(el("user").value ? el("room") : el("user")).focus();

function setStatus(state, text, detail) {
  el("status").setAttribute("data-state", state);
  el("status").textContent = text;
  el("status").title = detail || "";
}
function notice(text) { el("notice").textContent = text; }
function joinError(text) { el("join-error").textContent = text; el("join-error").hidden = !text; }

el("join").addEventListener("submit", function (ev) {
  ev.preventDefault();
  const r = el("room").value.trim(), u = el("user").value.trim();
  const err = !ROOM_RE.test(r) || r === "." || r === ".." ? "Room must be 1–128 characters: letters, digits, and . _ ~ - (not . or ..)"
    : !USER_RE.test(u) ? "Name must be 1–32 characters: letters, digits, and _ -" : "";
  joinError(err);
  if (err) return;
  room = r; user = u;
  store("chat.room", r); store("chat.user", u);
  el("room-name").textContent = "#" + room;
  document.title = room + " · Chat";
  el("messages").textContent = "";
  el("peers").textContent = "";
  peers.clear();
  myId = "";
  notice("");
  el("join-view").hidden = true;
  el("chat-view").hidden = false;
  start();
  el("text").focus();
});

function start() {
  const previous = client;
  client = null;
  if (previous) previous.close(1000, "rejoin");
  const url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host +
    "/rooms/chat/" + encodeURIComponent(room);
  // The query is read again before every reconnect.
  const c = connect(url, { query: function () { return { user: user }; } });
  client = c;
  // Every listener ignores a client that was left or replaced.
  c.onStatus(function (ev) { if (c === client) status(ev); });
  c.onError(function (e) {
    if (c === client) notice((e && e.code ? e.code + ": " : "") + ((e && e.message) || "something went wrong"));
  });
  // Every (re)connect is welcomed with the peers and the recent history, so nothing else to re-fetch on a resync.
  c.on("welcome", function (d) { if (c === client) welcome(d); });
  c.on("joined", function (d) {
    if (c !== client) return;
    peers.set(d.id, d.user); renderPeers(); addNote(d.user + " joined");
  });
  c.on("left", function (d) {
    if (c !== client) return;
    peers.delete(d.id); renderPeers(); addNote(d.user + " left");
  });
  // On a resumed session, missed said events come before the welcome, which then re-renders the history.
  c.on("said", function (d) { if (c === client) addMessage(d); });
}

function status(ev) {
  switch (ev.status) {
    case "connecting":
      setStatus("connecting", "connecting…");
      break;
    case "open":
      setStatus("connected", "connected");
      break;
    case "reconnecting":
      setStatus("reconnecting", "reconnecting… (attempt " + ev.attempt + ")", ev.reason);
      break;
    case "closed": {
      client = null;
      const error = ev.error;
      if (error && error.code === "refused") {
        // Refused (e.g. 401 for a name the room rejects): back to the form with the room's reason.
        showJoin();
        joinError(error.message);
        return;
      }
      setStatus("closed", "closed", ev.reason);
      notice(error ? error.message : "Disconnected.");
      break;
    }
  }
}

function welcome(d) {
  myId = d.id || "";
  if (d.user) user = d.user;
  peers.clear();
  (d.peers || []).forEach(function (p) { peers.set(p.id, p.user); });
  renderPeers();
  el("messages").textContent = "";
  (d.history || []).forEach(function (m) { addMessage(m); });
  scrollDown();
  notice("");
}

function renderPeers() {
  const list = el("peers");
  list.textContent = "";
  const all = Array.from(peers, function (p) { return { id: p[0], user: String(p[1]) }; });
  all.sort(function (a, b) {
    return (b.id === myId) - (a.id === myId) || a.user.localeCompare(b.user);
  });
  all.forEach(function (p) {
    const li = mk("li", p.id === myId ? "me" : "", p.user);
    if (p.id === myId) li.appendChild(mk("span", "you", " (you)"));
    list.appendChild(li);
  });
}

function nearBottom() {
  const m = el("messages");
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}
function scrollDown() { const m = el("messages"); m.scrollTop = m.scrollHeight; }

function addMessage(m) {
  // Only follow new messages if the reader hasn't scrolled up (or it's our own message).
  const stick = nearBottom() || m.user === user;
  const at = new Date(typeof m.at === "number" ? m.at : Date.now());
  const li = mk("li", "msg" + (m.user === user ? " mine" : ""));
  const meta = mk("div", "meta");
  meta.appendChild(mk("span", "who", String(m.user)));
  const t = mk("time", "", hhmm(at));
  t.title = at.toLocaleString();
  meta.appendChild(t);
  li.appendChild(meta);
  li.appendChild(mk("div", "body", String(m.text)));
  el("messages").appendChild(li);
  if (stick) scrollDown();
}

function addNote(text) {
  const stick = nearBottom();
  el("messages").appendChild(mk("li", "note", text));
  if (stick) scrollDown();
}

el("send").addEventListener("submit", function (ev) {
  ev.preventDefault();
  const input = el("text"), text = input.value;
  if (!text.trim()) return;
  // While reconnecting the client queues the message and sends it once the room is back.
  if (!client || !client.send("say", { text: text.slice(0, 2000) })) { notice("Not connected — message not sent."); return; }
  notice(client.status === "open" ? "" : "Offline — your message will be sent when the connection is back.");
  input.value = "";
  input.focus();
});

function showJoin() {
  peers.clear();
  el("chat-view").hidden = true;
  el("join-view").hidden = false;
  document.title = "Chat";
  el("user").focus();
}

el("leave").addEventListener("click", function () {
  const c = client;
  client = null;
  if (c) c.close(1000, "leave");
  showJoin();
});
</script>
</body>
</html>
`;
