/* FieldOps page runtime: service worker registration and the live socket.
 * The socket carries small "changed" notices; the page re-fetches what it shows (htmx) by
 * listening for `fo:<event type>` on <body>, e.g. hx-trigger="fo:workorder.updated from:body". */
(function () {
  "use strict";
  const body = document.body;

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).catch(() => {});
  }

  const status = document.getElementById("connection-status");
  function showStatus(text) {
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }
  window.addEventListener("offline", () => showStatus("Offline: your changes are kept on this device."));
  window.addEventListener("online", () => showStatus(""));

  const livePath = body.dataset.live;
  if (!livePath || !("WebSocket" in window)) return;

  let attempt = 0;
  let lastEventAt = null;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${livePath}`);
    socket.addEventListener("open", () => {
      if (attempt > 0) {
        // Delivery is at-most-once: after a gap, ask every live fragment to refresh itself.
        body.dispatchEvent(new CustomEvent("fo:reconnected", { detail: { since: lastEventAt } }));
      }
      attempt = 0;
      body.dataset.liveState = "open";
    });
    socket.addEventListener("message", (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type !== "event") return;
      lastEventAt = data.event.timestamp;
      body.dispatchEvent(new CustomEvent(`fo:${data.event.type}`, { detail: data.event }));
      const feed = document.getElementById("live-feed");
      if (feed) {
        const item = document.createElement("li");
        item.textContent = `${new Date(data.event.timestamp).toLocaleTimeString()} · ${data.event.type}`;
        feed.prepend(item);
      }
    });
    socket.addEventListener("close", (event) => {
      body.dataset.liveState = "closed";
      if (event.code === 4401 || event.code === 4403) return; // signed out: do not hammer
      attempt += 1;
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }
  connect();
})();
