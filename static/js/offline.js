/* FieldOps on a phone without signal: forms queue into the outbox, the page shows the change at
 * once, and the queue is pushed in order when the signal is back (the "online" event, page
 * start, returning to the tab, a timer, and Background Sync where the browser has it). */
(function () {
  "use strict";
  const Outbox = window.FieldOpsOutbox;
  if (!Outbox || !("indexedDB" in window)) return;
  const body = document.body;
  const banner = document.getElementById("connection-status");
  const article = document.querySelector("[data-work-order]");
  // The lifecycle comes from the server (the job page embeds it): for each status, the
  // [target, label, action] moves this person may make there, and the statuses' names.
  function fromPage(id) {
    const node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }
  const NEXT = fromPage("wo-moves");
  const LABEL = fromPage("wo-status-labels");
  const SIGNABLE = [fromPage("wo-signable")].flat().filter((s) => typeof s === "string");

  try {
    const csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    if (csrf) Outbox.setMeta("csrf", csrf);
  } catch (e) { /* no token on this page */ }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function refreshBanner() {
    if (!banner) return;
    const { waiting, problems } = await Outbox.counts();
    const parts = [];
    if (!navigator.onLine) parts.push("Offline");
    if (waiting) parts.push(`${waiting} change${waiting === 1 ? "" : "s"} waiting`);
    if (problems) parts.push(`${problems} need${problems === 1 ? "s" : ""} your attention`);
    if (!navigator.onLine && !waiting) parts.push("changes you make are kept on this phone");
    banner.textContent = parts.join(" — ");
    banner.hidden = parts.length === 0;
    body.dataset.outboxWaiting = String(waiting);
  }

  /* --- showing queued changes on the page -------------------------------------------------- */
  function listIn(sectionId) {
    const section = document.getElementById(sectionId);
    if (!section) return null;
    let list = section.querySelector("ul.rows");
    if (!list) { list = el("ul", { class: "rows" }); section.appendChild(list); }
    return list;
  }

  function pendingRow(sectionId, text) {
    const list = listIn(sectionId);
    if (!list) return;
    const row = el("li", { class: "pending" });
    row.append(el("span", {}, text), el("span", { class: "badge pending-tag" }, "waiting to sync"));
    list.appendChild(row);
  }

  function showStatus(status) {
    if (!article) return;
    article.dataset.status = status;
    const badge = document.querySelector("[data-status-badge]");
    if (badge) {
      badge.className = `badge st-${status}`;
      badge.textContent = `${LABEL[status] || status} (waiting to sync)`;
    }
    const completable = (NEXT[status] || []).some(([, , action]) => action === "complete");
    const bar = document.querySelector(".action-bar");
    if (bar) {
      bar.replaceChildren();
      const moves = NEXT[status] || [];
      moves.filter(([, , action]) => action !== "complete" && action !== "cancel").forEach(([to, label, action]) => {
        const form = el("form", { method: "post", action: `${location.pathname}transition/`,
                                  "data-offline": "transition" });
        form.append(el("input", { type: "hidden", name: "to", value: to }));
        const primary = action === "start" || action === "resume";
        form.append(el("button", { type: "submit", class: "big" + (primary ? " primary" : "") }, label));
        bar.appendChild(form);
      });
      if (completable) bar.append(el("a", { class: "button primary big", href: "#complete" }, "Complete…"));
    }
    const complete = document.getElementById("complete");
    if (complete) complete.hidden = !completable;
    // The customer signs the completed job's report: the signing step opens with completion.
    const signable = SIGNABLE.includes(status);
    document.querySelectorAll("[data-sign-step]").forEach((step) => { step.hidden = !signable; });
    document.querySelectorAll("[data-sign-later]").forEach((note) => { note.hidden = signable; });
  }

  function show(entry) {
    const d = entry.data;
    switch (entry.kind) {
      case "workorder.transition": showStatus(d.to); break;
      case "note.add": pendingRow("notes", d.text); break;
      case "time_entry.add": pendingRow("time", d.minutes ? `${d.kind} · ${d.minutes} min` : `${d.kind} timer started`); break;
      case "time_entry.stop": pendingRow("time", "Timer stopped"); break;
      case "part.use": pendingRow("parts", `${d.quantity} × ${d.label || d.part_id}${d.stock_location ? ` from ${d.stock_location}` : ""}`); break;
      case "checklist.answer": {
        const item = document.querySelector(`[data-item="${d.item_id}"]`);
        if (item) {
          let answer = item.querySelector(".answer");
          if (!answer) { answer = el("p", { class: "answer" }); item.querySelector(".check-label").after(answer); }
          answer.textContent = `Answer: ${d.value ?? d.result ?? d.text} (waiting to sync)`;
          item.classList.add(d.result === "fail" ? "failed" : "done");
        }
        break;
      }
      case "attachment.add": {
        const list = document.querySelector("#photos .gallery") || (() => {
          const g = el("ul", { class: "gallery" }); document.getElementById("photos").appendChild(g); return g; })();
        const row = el("li", { class: "pending" });
        if ((d.content_type || "").startsWith("image/")) {
          row.append(el("img", { src: `data:${d.content_type};base64,${d.content_base64}`, alt: d.caption || d.name, width: "160", height: "120" }));
        } else row.append(el("span", {}, d.name));
        row.append(el("span", { class: "badge pending-tag" }, "waiting to sync"));
        list.appendChild(row);
        break;
      }
      case "signature.add": {
        const section = document.getElementById("signature");
        if (section) section.insertBefore(el("p", { class: "pending" }, `Signed by ${d.signer_name} — waiting to sync`), section.children[1]);
        break;
      }
      default: break;
    }
  }

  function fileToBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",")[1]);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  /* --- turning a form into a queued change -------------------------------------------------- */
  async function fromForm(form, submitter) {
    const kind = form.dataset.offline;
    const f = form.elements;
    const value = (name) => (f[name] ? String(f[name].value || "").trim() : "");
    const id = Outbox.uuid();
    switch (kind) {
      case "transition":
        return [["workorder.transition", { to: value("to"), from_status: article.dataset.status,
          reason: value("reason"), resolution_notes: value("resolution_notes"),
          failure_code: value("failure_code"), cause: value("cause"), remedy: value("remedy") }]];
      case "note":
        if (!value("text")) throw new Error("Write the note first.");
        return [["note.add", { id, text: value("text") }]];
      case "time-log": {
        const minutes = parseInt(value("minutes"), 10);
        if (!(minutes > 0)) throw new Error("Enter the minutes worked.");
        return [["time_entry.add", { id, kind: value("kind"), minutes,
          started_at: new Date(Date.now() - minutes * 60000).toISOString() }]];
      }
      case "time-start":
        article.dataset.runningEntry = id;
        return [["time_entry.add", { id, kind: submitter ? submitter.value : "work", started_at: new Date().toISOString() }]];
      case "time-stop":
        return [["time_entry.stop", { entry_id: article.dataset.runningEntry }]];
      case "part": {
        if (!value("part")) throw new Error("Choose a part.");
        const select = f.part;
        return [["part.use", { id, part_id: value("part"), quantity: value("quantity") || "1",
          stock_location: value("stock_location"), label: select.options[select.selectedIndex].text }]];
      }
      case "answer": {
        const item = form.closest("[data-item]").dataset.item;
        const data = { id, item_id: item, text: value("text") };
        if (submitter && submitter.name === "result") data.result = submitter.value;
        if (value("value")) data.value = parseFloat(value("value").replace(",", "."));
        const changes = [["checklist.answer", data]];
        const photo = f.photo && f.photo.files[0];
        if (photo) changes.push(["attachment.add", { id: Outbox.uuid(), checklist_item_id: item, name: photo.name,
          content_type: photo.type, content_base64: await fileToBase64(photo) }]);
        return changes;
      }
      case "attachment": {
        const file = f.file && f.file.files[0];
        if (!file) throw new Error("Take a photo or choose a file first.");
        return [["attachment.add", { id, name: file.name, content_type: file.type, caption: value("caption"),
          content_base64: await fileToBase64(file) }]];
      }
      case "signature": {
        const canvas = form.querySelector("canvas");
        if (!value("signer_name")) throw new Error("Enter the signer's name.");
        return [["signature.add", { id, signer_name: value("signer_name"), name: "signature.png",
          content_type: "image/png", content_base64: canvas.toDataURL("image/png").split(",")[1] }]];
      }
      default: return [];
    }
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest && event.target.closest("form[data-offline]");
    if (!form || !article || navigator.onLine) return;
    event.preventDefault();
    try {
      const changes = await fromForm(form, event.submitter);
      for (const [kind, data] of changes) show(await Outbox.add(kind, article.dataset.workOrder, data));
      form.querySelectorAll("textarea, input:not([type=hidden]):not([type=submit])").forEach((input) => {
        if (input.type === "file") input.value = ""; else if (form.dataset.offline !== "transition") input.value = "";
      });
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register("fieldops-outbox")).catch(() => {});
      }
    } catch (error) {
      let note = form.querySelector(".offline-error");
      if (!note) { note = el("p", { class: "error offline-error", role: "alert" }); form.appendChild(note); }
      note.textContent = error.message;
    }
    refreshBanner();
  }, true);

  /* --- what the technician must decide: conflicts and refusals -------------------------------- */
  /* What a change without free text held, in words, so a refused one is not lost from sight. */
  function entered(item) {
    const d = item.data;
    switch (item.kind) {
      case "time_entry.add": return d.minutes ? `${d.minutes} min ${d.kind}` : `${d.kind} timer started`;
      case "time_entry.stop": return "Timer stopped";
      case "part.use": return `${d.quantity} × ${d.label || d.part_code || d.part_id}`;
      case "checklist.answer": return `Checklist answer: ${d.value ?? d.result ?? ""}`;
      case "attachment.add": return `Photo or file: ${d.name || ""}`;
      default: return "";
    }
  }


  async function showProblems() {
    const main = document.getElementById("main");
    let panel = document.getElementById("outbox-problems");
    const items = (await Outbox.all()).filter((i) => i.state !== "waiting" &&
      (!article || i.work_order === article.dataset.workOrder));
    if (!items.length) { if (panel) panel.remove(); return; }
    if (!panel) {
      panel = el("section", { id: "outbox-problems", class: "card problems", role: "alert" });
      main.prepend(panel);
    }
    panel.replaceChildren(el("h2", {}, "Needs your attention"));
    items.forEach((item) => {
      const row = el("div", { class: "problem" });
      row.append(el("p", { class: "error" }, item.reason));
      const typed = item.data.text || item.data.resolution_notes || item.data.signer_name || entered(item);
      if (typed) {
        row.append(el("p", { class: "muted" }, "What you entered (kept here until you dismiss it):"));
        row.append(el("textarea", { readonly: "", rows: "3", "aria-label": "What you entered" }, typed));
      }
      const dismiss = el("button", { type: "button" }, "Dismiss");
      dismiss.addEventListener("click", async () => { await Outbox.remove(item.seq); showProblems(); refreshBanner(); });
      row.append(dismiss);
      if (item.kind === "workorder.transition" && item.current) {
        const retry = el("button", { type: "button", class: "primary" }, "Try again from the current status");
        retry.addEventListener("click", async () => {
          await Outbox.remove(item.seq);
          await Outbox.add(item.kind, item.work_order, Object.assign({}, item.data, { from_status: item.current.status }));
          runSync();
        });
        row.append(retry);
      }
      panel.append(row);
    });
  }

  /* --- the sync loop ------------------------------------------------------------------------ */
  let syncing = false;
  async function runSync() {
    if (syncing || !navigator.onLine || !body.dataset.live) return;
    syncing = true;
    try {
      const outcome = await Outbox.sync();
      if (navigator.serviceWorker) {
        // Keep every job's page readable offline, even the ones not opened yet.
        const jobs = await Outbox.jobs();
        const urls = ["/my-work/", ...jobs.map((job) => job.url)];
        navigator.serviceWorker.ready.then((reg) => reg.active.postMessage({ type: "cache-pages", urls }));
      }
      const typing = document.activeElement && /^(TEXTAREA|INPUT|SELECT)$/.test(document.activeElement.tagName);
      if (outcome.applied && article && !typing && !outcome.problems) {
        location.reload();
        return;
      }
    } catch (error) {
      /* still offline, or the server is unreachable: try again later */
    } finally {
      syncing = false;
    }
    refreshBanner();
    showProblems();
  }

  window.addEventListener("online", () => { refreshBanner(); runSync(); });
  window.addEventListener("offline", refreshBanner);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) runSync(); });
  setInterval(runSync, 60000);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-synced") { refreshBanner(); showProblems(); }
    });
  }

  (async () => {
    if (article) {
      const mine = (await Outbox.all()).filter((i) => i.work_order === article.dataset.workOrder && i.state === "waiting");
      mine.forEach(show);
    }
    await refreshBanner();
    await showProblems();
    runSync();
  })();
})();
