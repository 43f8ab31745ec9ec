// Script text the example pages inline in their <script type="module">: small DOM helpers and the status badge.
// Like the pages, it uses no backticks, "${" or backslashes inside, so the template literal keeps it verbatim.

/** `el`, `mk`, `load`, `store` and `showStatus(badge, ev)`, as the pages call them. */
export const pageHelpers: string = `
function el(id) { return document.getElementById(id); }
function mk(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = text;
  return n;
}
// localStorage can throw (private mode, disabled storage); it is only a convenience.
function load(k) { try { return localStorage.getItem(k) || ""; } catch (e) { return ""; } }
function store(k, v) { try { localStorage.setItem(k, v); } catch (e) {} }
// The status badge: data-state for styles and tests, a short text, the reason as its title; body[data-live] while open.
const STATUS_TEXT = {
  connecting: ["connecting", "connecting…"],
  open: ["connected", "live"],
  reconnecting: ["reconnecting", "reconnecting…"],
  closed: ["closed", "offline"],
};
function showStatus(badge, ev) {
  const state = STATUS_TEXT[ev.status] || STATUS_TEXT.closed;
  badge.dataset.state = state[0];
  badge.textContent = ev.status === "reconnecting" ? state[1] + " (attempt " + ev.attempt + ")" : state[1];
  badge.title = ev.reason || (ev.error && ev.error.message) || "";
  document.body.dataset.live = String(ev.status === "open");
}
`;
