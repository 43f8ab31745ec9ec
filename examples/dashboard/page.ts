// Browser UI for the dashboard example, served at "/": inline CSS and an inline module script,
// which imports roomwire/client from /client.js (see app.ts). The room is ?room=<name> (default "main").
// Like the chat page it uses no backticks, "${" (but the shared helpers') or backslashes, so this template literal keeps it verbatim.
import { pageHelpers } from "../shared/page-helpers.ts";

export const dashboardPage: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dashboard</title>
<link rel="icon" href="data:,">
<style>
:root{--bg:#f3f5f8;--panel:#fff;--line:#e1e5eb;--text:#17202a;--muted:#667383;--accent:#3a6df0;--flash:#e3ebff;--ok:#1f9d55;--warn:#d98a06;--err:#c0392b;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#12151a;--panel:#1b1f25;--line:#2a3038;--text:#e6e9ed;--muted:#8b96a3;--accent:#7098ff;--flash:#22304f;--err:#ff7b6b}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{margin:0;min-height:100%}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
.wrap{max-width:1100px;margin:0 auto;padding:1.5rem 1.25rem 2rem}
header{display:flex;align-items:center;flex-wrap:wrap;gap:.6rem 1rem;margin-bottom:1.4rem}
header h1{margin:0;font-size:1.35rem;font-weight:650;letter-spacing:-.01em}
.room{padding:.15rem .6rem;border:1px solid var(--line);border-radius:999px;background:var(--panel);color:var(--muted);font-size:.82rem}
.spacer{flex:1}
.last{font-size:.8rem;color:var(--muted)}
.status{display:flex;align-items:center;gap:.45rem;padding:.25rem .7rem;border:1px solid var(--line);border-radius:999px;background:var(--panel);font-size:.82rem;color:var(--muted);white-space:nowrap}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--muted)}
.status[data-state=connected]{color:var(--text)}
.status[data-state=connected]::before{background:var(--ok);box-shadow:0 0 0 3px color-mix(in srgb,var(--ok) 22%,transparent)}
.status[data-state=reconnecting]::before{background:var(--warn)}
.status[data-state=closed]::before{background:var(--err)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:1rem;transition:opacity .3s}
body[data-live=false] .grid{opacity:.55}
.card{position:relative;padding:1.1rem 1.2rem 1rem;background:var(--panel);border:1px solid var(--line);border-radius:14px;box-shadow:0 1px 2px rgba(0,0,0,.04);min-width:0}
.card.flash{animation:flash 1.6s ease-out}
.card.flash .value{animation:glow 1.6s ease-out}
@keyframes flash{from{background:var(--flash);border-color:var(--accent)}to{background:var(--panel);border-color:var(--line)}}
@keyframes glow{from{color:var(--accent)}to{color:var(--text)}}
@media (prefers-reduced-motion:reduce){.card.flash,.card.flash .value{animation:none}}
.name{margin:0;font-size:.74rem;font-weight:600;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.value{margin:.35rem 0 .2rem;font-size:2.9rem;line-height:1.1;font-weight:650;letter-spacing:-.02em;font-variant-numeric:tabular-nums;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.value.long{font-size:2.1rem;padding-top:.55rem;padding-bottom:.25rem}
.unit{margin-left:.3rem;font-size:.42em;font-weight:600;letter-spacing:0;color:var(--muted)}
.meta{display:flex;justify-content:space-between;gap:.5rem;font-size:.78rem;color:var(--muted);font-variant-numeric:tabular-nums}
.delta{min-height:1.1em}
.delta.up::before{content:"▲ "}
.delta.down::before{content:"▼ "}
.spark{display:block;width:100%;height:38px;margin:.15rem 0 .45rem;overflow:visible}
.spark .line{fill:none;stroke:var(--accent);stroke-width:1.75;stroke-linejoin:round;stroke-linecap:round;vector-effect:non-scaling-stroke}
.spark .area{fill:color-mix(in srgb,var(--accent) 13%,transparent);stroke:none}
.source{padding:0 .4rem;border-radius:4px;background:var(--bg)}
.empty{grid-column:1/-1;padding:2.5rem 1rem;text-align:center;color:var(--muted);background:var(--panel);border:1px dashed var(--line);border-radius:14px}
footer{margin-top:1.6rem;font-size:.82rem;color:var(--muted)}
code{font:.8rem/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:.15rem .4rem;border-radius:6px;background:var(--panel);border:1px solid var(--line);color:var(--text);word-break:break-all}
@media (max-width:600px){.wrap{padding:1rem .75rem}.value{font-size:2.3rem}}
</style>
</head>
<body data-live="false">
<div class="wrap">
  <header>
    <h1>Live metrics</h1>
    <span id="room" class="room"></span>
    <span class="spacer"></span>
    <span id="last" class="last"></span>
    <span id="status" class="status" role="status" data-state="connecting">connecting…</span>
  </header>
  <main id="grid" class="grid">
    <p id="empty" class="empty">No metrics yet. Push one with the command below.</p>
  </main>
  <footer>
    <p>Values are pushed by the server as they change; nothing here polls. Each chart shows a metric's last 30 values. Update a metric:</p>
    <p><code id="hint"></code></p>
  </footer>
</div>
<script type="module">
// roomwire/client (served by app.ts): reconnects with backoff and heartbeats. The room sends a snapshot
// on every (re)connect, with each metric's recent values, and then only the metrics that changed:
// the page appends those to the charts itself.
import { connect } from "/client.js";

const ROOM_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const requested = new URLSearchParams(location.search).get("room") || "main";
// "." and ".." are path segments, not room names: the URL would resolve them away.
const room = ROOM_RE.test(requested) && requested !== "." && requested !== ".." ? requested : "main";
const path = "/rooms/dashboard/" + encodeURIComponent(room);
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
/** name → its card element; the card keeps the shown value in data-value, its chart's length in data-points. */
const cards = new Map();
/** name → the values its chart shows, oldest first. */
const series = new Map();
/** The most values a chart shows: as many as the room keeps (RECENT in room.ts). */
const POINTS = 30;
const SVG = "http://www.w3.org/2000/svg";
/** What changed a metric, as its card says: a POST, server code (the record action), the simulated feed. */
const SOURCES = { http: "POST", action: "server", feed: "feed" };

${pageHelpers}
function pad(n) { return (n < 10 ? "0" : "") + n; }
function clock(at) { const d = new Date(at); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }

el("room").textContent = room;
document.title = room + " · Dashboard";
el("hint").textContent = "curl -X POST -d '" + JSON.stringify({ cpu: 42 }) + "' " + location.origin + path;

/** A unit suffix of a metric name is shown beside the figure: latency_ms → "latency" in ms. */
const UNITS = [["_per_s", "/s"], ["_ms", "ms"], ["_pct", "%"], ["_percent", "%"], ["_gb", "GB"], ["_mb", "MB"], ["_kb", "KB"]];
function split(name) {
  for (const [suffix, unit] of UNITS) {
    if (name.length > suffix.length && name.endsWith(suffix)) return [name.slice(0, -suffix.length), unit];
  }
  return [name, ""];
}

function card(name) {
  let c = cards.get(name);
  if (c) return c;
  c = mk("section", "card");
  c.dataset.metric = name;
  const parts = split(name);
  c.appendChild(mk("h2", "name", parts[0].replace(/_/g, " ")));
  c.lastChild.title = name;
  const value = c.appendChild(mk("p", "value"));
  value.appendChild(mk("span", "num"));
  if (parts[1]) value.appendChild(mk("span", "unit", parts[1]));
  const chart = c.appendChild(document.createElementNS(SVG, "svg"));
  chart.setAttribute("class", "spark");
  chart.setAttribute("viewBox", "0 0 100 40");
  chart.setAttribute("preserveAspectRatio", "none");
  chart.setAttribute("role", "img");
  ["area", "line"].forEach(function (cls) { chart.appendChild(document.createElementNS(SVG, "polyline")).setAttribute("class", cls); });
  const meta = mk("div", "meta");
  meta.appendChild(mk("span", "delta"));
  meta.appendChild(mk("span", "when"));
  c.appendChild(meta);
  // Keep the cards in name order, so a figure stays where the eye expects it.
  const after = Array.from(cards.keys()).filter(function (n) { return n > name; }).sort()[0];
  el("grid").insertBefore(c, after === undefined ? null : cards.get(after));
  cards.set(name, c);
  el("empty").hidden = true;
  return c;
}

/**
 * Draws the chart of a card: the values left to right, newest at the right edge, scaled to
 * their own range; a chart that is not full yet starts further right.
 */
function draw(c, values) {
  c.dataset.points = String(values.length);
  const lo = Math.min.apply(null, values);
  const hi = Math.max.apply(null, values);
  // A single value is drawn as a short flat line.
  const drawn = values.length === 1 ? [values[0], values[0]] : values;
  const xy = drawn.map(function (v, i) {
    const x = ((POINTS - drawn.length + i) / (POINTS - 1)) * 100;
    const y = hi === lo ? 20 : 37 - ((v - lo) / (hi - lo)) * 34;
    return x.toFixed(2) + "," + y.toFixed(2);
  });
  const chart = c.querySelector(".spark");
  chart.querySelector(".line").setAttribute("points", xy.join(" "));
  chart.querySelector(".area").setAttribute("points", xy[0].split(",")[0] + ",40 " + xy.join(" ") + " 100,40");
  chart.setAttribute("aria-label", "last " + values.length + " values, " + number.format(lo) + " to " + number.format(hi));
}

/**
 * Shows one metric and extends its chart (a snapshot's metric brings its recent values, which
 * replace the chart); flashes the card when a value it already showed changes.
 */
function show(name, metric, source) {
  const c = card(name);
  const values = (metric.recent || (series.get(name) || []).concat([metric.value])).slice(-POINTS);
  series.set(name, values);
  draw(c, values);
  const before = c.dataset.value === undefined ? undefined : Number(c.dataset.value);
  c.dataset.value = String(metric.value);
  const text = number.format(metric.value);
  c.querySelector(".num").textContent = text;
  const unit = c.querySelector(".unit");
  c.querySelector(".value").classList.toggle("long", text.length + (unit ? unit.textContent.length : 0) > 7);
  c.querySelector(".when").textContent = clock(metric.at) + (source ? " · " + (SOURCES[source] || source) : "");
  const delta = c.querySelector(".delta");
  if (before === undefined || before === metric.value) {
    if (before === undefined) { delta.className = "delta"; delta.textContent = ""; }
    return;
  }
  delta.className = "delta " + (metric.value > before ? "up" : "down");
  delta.textContent = number.format(Math.abs(metric.value - before));
  c.classList.remove("flash");
  void c.offsetWidth; // restart the animation
  c.classList.add("flash");
  c.dataset.changes = String(Number(c.dataset.changes || 0) + 1);
}

function touched(at) { el("last").textContent = "updated " + clock(at); }

const client = connect((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + path);

client.on("snapshot", function (d) {
  const names = Object.keys(d.metrics);
  // A metric the room no longer has (after a reconnect) goes away.
  cards.forEach(function (c, name) { if (names.indexOf(name) < 0) { c.remove(); cards.delete(name); series.delete(name); } });
  names.sort().forEach(function (name) { show(name, d.metrics[name]); });
  el("empty").hidden = cards.size > 0;
  const latest = names.reduce(function (m, n) { return Math.max(m, d.metrics[n].at); }, 0);
  if (latest) touched(latest);
});

client.on("changed", function (d) {
  let latest = 0;
  Object.keys(d.metrics).forEach(function (name) {
    show(name, d.metrics[name], d.source);
    latest = Math.max(latest, d.metrics[name].at);
  });
  if (latest) touched(latest);
});

client.onStatus(function (ev) { showStatus(el("status"), ev); });
</script>
</body>
</html>
`;
