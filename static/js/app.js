/* FieldOps page runtime: service worker registration and the live socket.
 * The socket carries small "changed" notices; the page re-fetches what it shows (htmx) by
 * listening for `fo:<event type>` on <body>, e.g. hx-trigger="fo:workorder.updated from:body". */
(function () {
  "use strict";
  const body = document.body;

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/" }).then((registration) => {
      // A new version installed while this one runs: offer it instead of switching silently.
      const offer = (worker) => {
        if (!worker || !navigator.serviceWorker.controller) return;
        const bar = document.getElementById("update-available");
        if (!bar) return;
        bar.hidden = false;
        bar.querySelector("button").onclick = () => worker.postMessage({ type: "skip-waiting" });
      };
      offer(registration.waiting);
      registration.addEventListener("updatefound", () => {
        const worker = registration.installing;
        worker.addEventListener("statechange", () => { if (worker.state === "installed") offer(worker); });
      });
    }).catch(() => {});
    let reloaded = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloaded || !document.getElementById("update-available") ||
          document.getElementById("update-available").hidden) return;
      reloaded = true;
      location.reload();
    });
  }

  const status = document.getElementById("connection-status");
  function showStatus(text) {
    if (!status) return;
    status.textContent = text || "";
    status.hidden = !text;
  }
  if (!window.FieldOpsOutbox) {
    window.addEventListener("offline", () => showStatus("Offline: pages you opened before still work."));
    window.addEventListener("online", () => showStatus(""));
  }

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
