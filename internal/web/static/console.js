// Firebreak console: small progressive enhancements. Every page works
// without this file; it adds the live timeline, a ticking "aware since"
// and a keyboard shortcut. No framework, no build step.
"use strict";

(function () {
  // Live timeline: new entries arrive as Server-Sent Events and are
  // prepended. Text is set with textContent, never parsed as HTML.
  const tl = document.getElementById("timeline");
  if (tl && tl.dataset.stream && window.EventSource) {
    const filtered = new URLSearchParams(location.search);
    const kind = filtered.get("kind") || "", source = filtered.get("source") || "";
    const older = filtered.get("before");
    const es = new EventSource(tl.dataset.stream);
    es.addEventListener("timeline", (msg) => {
      if (older) return; // reading an older page: don't mix in new entries
      const e = JSON.parse(msg.data);
      if ((kind && e.kind !== kind) || (source && e.source !== source)) return;
      if (document.getElementById("e" + e.id)) return;
      const empty = tl.querySelector("li.empty");
      if (empty) empty.remove();
      tl.prepend(renderEvent(e));
    });
  }

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function renderEvent(e) {
    const li = el("li", "ev ev-" + e.kind + " new");
    li.id = "e" + e.id;
    const head = el("div", "evhead");
    const t = el("time", "", formatUTC(e.occurred_at));
    t.dateTime = e.occurred_at;
    head.append(t, " ", el("span", "kind", e.kind), " ", el("span", "actor", e.actor), " ", el("span", "source", e.source));
    if (e.visibility === "public") head.append(" ", el("span", "tag", "public"));
    if (e.corrects) head.append(" ", el("span", "tag", "corrects #" + e.corrects));
    head.append(el("span", "num", "#" + e.id));
    li.append(head, el("p", "", e.text));
    return li;
  }

  function formatUTC(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  // "Aware since": keep the elapsed time current.
  const since = document.querySelector("time.since");
  if (since) {
    const start = new Date(since.dateTime);
    const tick = () => {
      let m = Math.floor((Date.now() - start) / 60000);
      const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
      m = m % 60;
      since.textContent = d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m + "m";
    };
    if (!isNaN(start)) setInterval(tick, 30000);
  }

  // "n" jumps to the new-entry box, like a mail client's compose key.
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "n" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
    const box = document.getElementById("text");
    if (box) { ev.preventDefault(); box.focus(); }
  });
})();
