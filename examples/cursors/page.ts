// Browser UI for the cursors example, served at "/": inline CSS and an inline module script,
// which imports roomwire/client from /client.js (see app.ts and scripts/build-client.mjs).
// It deliberately uses string concatenation and no backticks, "${" (but the shared helpers') or backslashes,
// so nothing in it is interpreted by this template literal.
//
// The page reads ?user=<id>&name=<display name>&room=<room> (room defaults to "main");
// without a user and name it asks for a name and keeps a user id in localStorage,
// so every tab of this browser is the same member.
import { pageHelpers } from "../shared/page-helpers.ts";

export const cursorsPage: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cursors</title>
<style>
:root{--bg:#f3f5f8;--panel:#fff;--line:#e1e5eb;--dot:#d5dae2;--text:#17202a;--muted:#667383;--accent:#3a6df0;--ok:#1f9d55;--warn:#d98a06;--err:#c0392b;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#12151a;--panel:#1b1f25;--line:#2a3038;--dot:#2c333c;--text:#e6e9ed;--muted:#8b96a3;--accent:#7098ff;--err:#ff7b6b}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{height:100%;margin:0}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
button,input{font:inherit;color:inherit}
input{width:100%;margin-top:.3rem;padding:.6rem .75rem;border:1px solid var(--line);border-radius:8px;background:var(--panel)}
button{width:100%;padding:.6rem 1.1rem;border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:600;cursor:pointer}
.card{max-width:380px;margin:12vh auto 0;padding:1.75rem;background:var(--panel);border:1px solid var(--line);border-radius:14px}
.card h1{margin:0 0 1.1rem;font-size:1.3rem}
label{display:block;margin-bottom:.9rem;font-size:.85rem;color:var(--muted)}
.error{margin:0 0 .9rem;color:var(--err);font-size:.85rem}
#app{display:flex;flex-direction:column;height:100vh;height:100dvh}
header{display:flex;align-items:center;gap:.75rem;padding:.7rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0;font-size:1.1rem;font-weight:650}
.room{padding:.1rem .55rem;border:1px solid var(--line);border-radius:999px;color:var(--muted);font-size:.8rem}
.spacer{flex:1}
.status{display:flex;align-items:center;gap:.4rem;font-size:.8rem;color:var(--muted);white-space:nowrap}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--muted)}
.status[data-state=connected]::before{background:var(--ok)}
.status[data-state=reconnecting]::before{background:var(--warn)}
.status[data-state=closed]::before{background:var(--err)}
.layout{flex:1;display:flex;min-height:0}
#board{position:relative;flex:1;margin:1rem;border:1px solid var(--line);border-radius:14px;background-color:var(--panel);background-image:radial-gradient(var(--dot) 1.2px,transparent 1.2px);background-size:24px 24px;overflow:hidden;cursor:none;touch-action:none}
#board .hint{position:absolute;left:1rem;bottom:.8rem;margin:0;font-size:.8rem;color:var(--muted);pointer-events:none}
.cursor{position:absolute;left:0;top:0;pointer-events:none;transition:left 80ms linear,top 80ms linear;will-change:left,top}
.cursor svg{display:block;width:22px;height:26px;filter:drop-shadow(0 1px 1.5px rgba(0,0,0,.3))}
.cursor .label{position:absolute;left:16px;top:20px;padding:.1rem .5rem;border-radius:6px;color:#fff;font-size:.78rem;font-weight:600;white-space:nowrap}
aside{width:230px;flex:none;padding:1rem 1rem 1rem 0;overflow-y:auto}
aside h2{display:flex;justify-content:space-between;margin:.2rem 0 .6rem;font-size:.72rem;text-transform:uppercase;letter-spacing:.07em;color:var(--muted)}
ul{list-style:none;margin:0;padding:0}
#members li{display:flex;align-items:center;gap:.5rem;padding:.35rem .6rem;margin-bottom:.3rem;background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:hidden;white-space:nowrap}
#members .dot{flex:none;width:10px;height:10px;border-radius:50%}
#members .who{overflow:hidden;text-overflow:ellipsis}
#members .you{color:var(--muted);font-size:.85em}
#members .away{color:var(--muted);font-size:.8em;margin-left:auto}
.notice{margin:.6rem 0 0;font-size:.8rem;color:var(--err)}
@media (max-width:640px){.layout{flex-direction:column-reverse}aside{width:auto;padding:.75rem 1rem 0}}
</style>
</head>
<body data-live="false">
<main id="join-view" class="card" hidden>
  <h1>Join the canvas</h1>
  <form id="join" novalidate>
    <label>Your name <input id="name" maxlength="32" autocomplete="nickname" spellcheck="false"></label>
    <p id="join-error" class="error" role="alert" hidden></p>
    <button type="submit">Join</button>
  </form>
</main>
<div id="app" hidden>
  <header>
    <h1>Cursors</h1>
    <span id="room" class="room"></span>
    <span class="spacer"></span>
    <span id="status" class="status" role="status" data-state="connecting">connecting…</span>
  </header>
  <div class="layout">
    <div id="board" aria-label="Shared canvas">
      <p class="hint">Move your pointer here. Open this page in another tab: one user, however many tabs, is one member.</p>
    </div>
    <aside>
      <h2><span>Here now</span><span id="count" data-count="0">0</span></h2>
      <ul id="members"></ul>
      <p id="notice" class="notice" role="alert"></p>
    </aside>
  </div>
</div>
<script type="module">
// roomwire/client (served by app.ts) keeps client.presence: every member of the room and their
// state, from the snapshot each (re)connect brings and the joins, leaves and state changes after it.
import { connect } from "/client.js";

const USER_RE = /^[A-Za-z0-9_-]{1,64}$/;
const ROOM_RE = /^[A-Za-z0-9._~-]{1,128}$/;
/** The least time between two cursor frames this page sends; the last position always goes (a trailing send). */
const SEND_EVERY_MS = 50;
const SVG = "http://www.w3.org/2000/svg";
const ARROW = "M1 1 L1 19 L6 14.5 L9.5 22.5 L12.5 21.2 L9 13.5 L15.5 13.5 Z";

${pageHelpers}

const params = new URLSearchParams(location.search);
const requested = params.get("room") || "main";
// "." and ".." are path segments, not room names: the URL would resolve them away.
const room = ROOM_RE.test(requested) && requested !== "." && requested !== ".." ? requested : "main";
const user = params.get("user") || "";
const name = (params.get("name") || "").trim();

if (USER_RE.test(user) && name.length >= 1 && name.length <= 32) start();
else ask();

/** No user or name in the URL: ask for a name; the user id is this browser's, so its tabs are one member. */
function ask() {
  el("join-view").hidden = false;
  el("name").value = name || load("cursors.name");
  el("name").focus();
  el("join").addEventListener("submit", function (ev) {
    ev.preventDefault();
    const chosen = el("name").value.trim();
    if (chosen.length < 1 || chosen.length > 32) {
      el("join-error").textContent = "A name is 1–32 characters.";
      el("join-error").hidden = false;
      return;
    }
    let id = USER_RE.test(user) ? user : load("cursors.user");
    if (!USER_RE.test(id)) id = "u-" + Math.random().toString(36).slice(2, 10);
    store("cursors.user", id);
    store("cursors.name", chosen);
    location.search = "?" + new URLSearchParams({ room: room, user: id, name: chosen }).toString();
  });
}

/** A colour per member id, the same on every page. */
function colour(member) {
  let h = 0;
  for (let i = 0; i < member.length; i++) h = (h * 31 + member.charCodeAt(i)) % 360;
  return "hsl(" + h + " 70% 45%)";
}
function round(n) { return Math.round(Math.min(1, Math.max(0, n)) * 10000) / 10000; }

function start() {
  el("app").hidden = false;
  el("room").textContent = room;
  document.title = name + " · " + room + " · Cursors";
  const board = el("board");
  const url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/rooms/cursors/" + encodeURIComponent(room);
  const client = connect(url, { query: { user: user, name: name } });
  /** Cursor elements by member. */
  const drawn = new Map();
  /** This tab's own pointer on the board (drawn at once, not when the room echoes it), or null. */
  let local = null;

  // Throttled on the client: at most one cursor frame per SEND_EVERY_MS, and the latest position
  // is always sent in the end. Nothing is queued while offline; the latest goes once the room is back.
  let wanted = null, unsent = false, lastSent = 0, timer = 0;
  function send(cursor) {
    wanted = cursor;
    unsent = true;
    if (!timer) timer = setTimeout(flush, Math.max(0, lastSent + SEND_EVERY_MS - Date.now()));
  }
  function flush() {
    timer = 0;
    if (!unsent || client.status !== "open") return;
    unsent = false;
    lastSent = Date.now();
    client.presence.set({ name: name, cursor: wanted });
  }

  function where(ev) {
    const r = board.getBoundingClientRect();
    return { x: round((ev.clientX - r.left) / r.width), y: round((ev.clientY - r.top) / r.height) };
  }
  board.addEventListener("pointermove", function (ev) {
    local = where(ev);
    send(local);
    render();
  });
  board.addEventListener("pointerleave", function () {
    local = null;
    send(null);
    render();
  });

  function render() {
    const presence = client.presence;
    const members = Array.from(presence.members, function (m) {
      const state = m[1];
      return { member: m[0], name: state && state.name ? state.name : m[0], cursor: m[0] === user && local ? local : state ? state.cursor : null };
    });
    members.sort(function (a, b) { return (b.member === user) - (a.member === user) || a.name.localeCompare(b.name) || (a.member < b.member ? -1 : 1); });

    const count = el("count");
    count.dataset.count = String(presence.count);
    count.textContent = String(presence.count);
    const list = el("members");
    list.textContent = "";
    if (!presence.listed) list.appendChild(mk("li", "", presence.count + " here: too many to list"));
    members.forEach(function (m) {
      const li = mk("li");
      li.dataset.member = m.member;
      li.title = m.member;
      const dot = li.appendChild(mk("span", "dot"));
      dot.style.background = colour(m.member);
      li.appendChild(mk("span", "who", m.name));
      if (m.member === user) li.appendChild(mk("span", "you", "(you)"));
      if (!m.cursor) li.appendChild(mk("span", "away", "off canvas"));
      list.appendChild(li);
    });

    const seen = new Set();
    members.forEach(function (m) {
      if (!m.cursor) return;
      seen.add(m.member);
      let c = drawn.get(m.member);
      if (!c) {
        c = mk("div", "cursor");
        c.dataset.cursor = m.member;
        const svg = c.appendChild(document.createElementNS(SVG, "svg"));
        svg.setAttribute("viewBox", "0 0 17 24");
        const path = svg.appendChild(document.createElementNS(SVG, "path"));
        path.setAttribute("d", ARROW);
        path.setAttribute("fill", colour(m.member));
        path.setAttribute("stroke", "#fff");
        path.setAttribute("stroke-width", "1.4");
        path.setAttribute("stroke-linejoin", "round");
        c.appendChild(mk("span", "label")).style.background = colour(m.member);
        board.appendChild(c);
        drawn.set(m.member, c);
      }
      c.querySelector(".label").textContent = m.name + (m.member === user ? " (you)" : "");
      c.dataset.x = String(m.cursor.x);
      c.dataset.y = String(m.cursor.y);
      // Its own pointer follows the hand without easing; the others glide between the positions they send.
      c.style.transition = m.member === user && local ? "none" : "";
      c.style.left = m.cursor.x * 100 + "%";
      c.style.top = m.cursor.y * 100 + "%";
    });
    drawn.forEach(function (c, member) {
      if (!seen.has(member)) { c.remove(); drawn.delete(member); }
    });
  }

  client.presence.onChange(render);
  client.onStatus(function (ev) {
    showStatus(el("status"), ev);
    if (ev.status === "open") { el("notice").textContent = ""; flush(); }
    // Refused (400 for a bad user id or name): the room says why.
    if (ev.status === "closed" && ev.error) el("notice").textContent = ev.error.message;
  });
}
</script>
</body>
</html>
`;
