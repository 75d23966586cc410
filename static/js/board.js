/* Dispatch board: live refresh on "changed" notices, drag-and-drop and keyboard planning.
 * The socket only says *that* something changed (app.js turns it into fo:<type> events on
 * <body>); the board then asks the server for its live part with `since`, and a 204 means the
 * copy on screen is still current. A reconnect and a slow poll ask the same way, so a notice
 * lost while offline is caught up by fetching. */
(function () {
  "use strict";
  const board = document.querySelector("[data-board]");
  if (!board || !window.htmx) return;
  const panel = document.getElementById("plan-panel");
  const planUrl = board.dataset.planUrl;
  const POLL_MS = 30000;
  let pending = null;
  let inFlight = false;

  function live() { return document.getElementById("board-live"); }

  function refresh(reason, delay) {
    clearTimeout(pending);
    // Bursts of notices (a whole crew re-planned) become one fetch.
    pending = setTimeout(() => {
      if (inFlight || board.classList.contains("is-dragging")) { refresh(reason); return; }
      const current = live();
      const params = new URLSearchParams(location.search);
      if (current && current.dataset.asOf) params.set("since", current.dataset.asOf);
      const focused = document.activeElement && document.activeElement.closest("[data-ref]");
      inFlight = true;
      htmx.ajax("GET", `${board.dataset.liveUrl}?${params}`, {
        target: "#board-live", swap: "outerHTML", headers: { "HX-Target": "board-live" },
      }).finally(() => {
        inFlight = false;
        board.dataset.refreshed = `${reason}:${Date.now()}`;
        if (focused) {
          const again = document.querySelector(`[data-ref="${focused.dataset.ref}"]`);
          if (again) again.focus({ preventScroll: true });
        }
      });
    }, delay || 150);
  }

  // On a busy board the server may answer with a rendering it knows is a moment old (many
  // changes a second are drawn at a bounded rate); it says when to ask again.
  function askAgainLater(ms) {
    const wait = parseInt(ms, 10);
    if (wait > 0) refresh("stale", Math.min(wait, 10000) + 50);
  }
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail && event.detail.xhr;
    if (xhr) askAgainLater(xhr.getResponseHeader("X-Board-Refresh-After"));
  });
  askAgainLater(board.dataset.refreshAfter);

  // The live part is one rendering shared by every dispatcher; what changed since *this* page
  // last looked comes in a header, and is highlighted here.
  // The nav's count of new requests moves with the board's own.
  function showRequestCount() {
    const current = live();
    if (!current || current.dataset.newRequests === undefined) return;
    const count = parseInt(current.dataset.newRequests, 10) || 0;
    document.querySelectorAll("[data-new-requests]").forEach((badge) => {
      badge.hidden = count === 0;
      const number = badge.querySelector("[data-count]");
      if (number) number.textContent = String(count);
    });
  }
  document.body.addEventListener("htmx:afterSwap", showRequestCount);

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const xhr = event.detail && event.detail.xhr;
    const changed = xhr && xhr.getResponseHeader("X-Board-Changed");
    if (!changed) return;
    changed.split(" ").forEach((ref) => {
      const card = document.getElementById(`card-${ref}`);
      if (card) card.classList.add("is-changed");
    });
  });

  ["workorder.created", "workorder.updated", "workorder.status_changed", "workorder.assigned"]
    .forEach((type) => document.body.addEventListener(`fo:${type}`, () => refresh(type)));
  document.body.addEventListener("fo:reconnected", () => refresh("reconnected"));
  document.body.addEventListener("board:refresh", () => refresh("planned"));
  setInterval(() => { if (!document.hidden) refresh("poll"); }, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh("visible"); });

  // --- planning ---------------------------------------------------------------------------------
  // htmx swaps no 4xx reply by default, so a refused Assign or drop looked like nothing
  // happened. The plan view answers a refusal with the form again (message, fields kept, the
  // override ready): show it. Anything else refused (another view's page, a JSON envelope, no
  // answer at all) is said in the panel in plain words.
  function say(text) {
    panel.innerHTML = "";
    const box = document.createElement("div");
    box.className = "plan-refusal";
    const message = document.createElement("p");
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.dataset.planClose = "";
    close.textContent = "Close";
    box.append(message, close);
    panel.append(box);
  }
  function refusalText(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) return body.error.message;
    } catch (ignored) { /* not JSON: a page */ }
    const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    const said = page.querySelector("main .error, main p, h1");
    return (said && said.textContent.trim()) || `The server refused this (${xhr.status}); nothing was changed.`;
  }
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    if (detail.target !== panel || detail.xhr.status < 400) return;
    if (/class="plan-form"/.test(detail.xhr.responseText || "")) {
      detail.shouldSwap = true;
      detail.isError = false;
    } else {
      detail.shouldSwap = false;
      say(refusalText(detail.xhr));
    }
  });
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.target === panel) say("The server could not be reached; nothing was changed. Try again.");
  });

  function post(values) {
    htmx.ajax("POST", planUrl, { target: "#plan-panel", swap: "innerHTML", values });
  }
  function openPlan(ref) {
    htmx.ajax("GET", `${planUrl}?wo=${encodeURIComponent(ref)}`, { target: "#plan-panel", swap: "innerHTML" });
  }
  function closePlan() {
    const ref = panel.querySelector("input[name=wo]");
    panel.innerHTML = "";
    const card = ref && document.querySelector(`[data-ref="${ref.value}"]`);
    if (card) card.focus();
  }
  panel.addEventListener("click", (event) => {
    if (event.target.closest("[data-plan-close]")) closePlan();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.innerHTML.trim()) { closePlan(); return; }
    if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const cards = [...document.querySelectorAll("#board-live [data-ref]")];
    const here = document.activeElement && document.activeElement.closest("[data-ref]");
    if (event.key === "j" || event.key === "k") {
      const index = cards.indexOf(here);
      const next = cards[Math.max(0, Math.min(cards.length - 1, index + (event.key === "j" ? 1 : -1)))];
      if (next) { next.focus(); next.scrollIntoView({ block: "nearest" }); event.preventDefault(); }
    } else if (event.key === "a" && here && here.querySelector(".plan-link")) {
      openPlan(here.dataset.ref);
      event.preventDefault();
    }
  });
  htmx.on(panel, "htmx:afterSwap", () => {
    const first = panel.querySelector("[autofocus], input[name=technician]:checked, input[name=technician]");
    if (first) first.focus();
  });

  // Tap (or click) a job to plan it: the touch path, where there is no dragging. The panel
  // offers the technicians best first and the time; Assign confirms.
  board.addEventListener("click", (event) => {
    const card = event.target.closest("#board-live [data-ref]");
    if (!card || !card.querySelector(".plan-link") || event.target.closest("a, button, input, label")) return;
    document.querySelectorAll(".card.is-selected").forEach((el) => el.classList.remove("is-selected"));
    card.classList.add("is-selected");
    openPlan(card.dataset.ref);
  });

  // Drag and drop: a lane assigns to that technician (keeping the time), an hour slot also
  // reschedules, the queue does nothing (unassigning is an explicit action on the job page).
  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-ref][draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    board.classList.add("is-dragging");
    event.dataTransfer.setData("text/plain", card.dataset.ref);
    event.dataTransfer.effectAllowed = "move";
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    board.classList.remove("is-dragging");
    document.querySelectorAll(".is-over").forEach((el) => el.classList.remove("is-over"));
    dragged = null;
  });
  function target(event) {
    return event.target.closest && event.target.closest("[data-drop=slot], [data-drop=technician]");
  }
  board.addEventListener("dragover", (event) => {
    const where = target(event);
    if (!dragged || !where) return;
    event.preventDefault();
    document.querySelectorAll(".is-over").forEach((el) => el.classList.remove("is-over"));
    where.classList.add("is-over");
    if (where.dataset.drop === "slot") where.closest("[data-drop=technician]").classList.add("is-over");
  });
  board.addEventListener("drop", (event) => {
    const where = target(event);
    if (!dragged || !where) return;
    event.preventDefault();
    const lane = where.closest("[data-drop=technician]");
    const values = { wo: dragged.dataset.ref, version: dragged.dataset.version, technician: lane.dataset.technician };
    if (where.dataset.drop === "slot") values.start = where.dataset.start;
    post(values);
  });
})();
