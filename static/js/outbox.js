/* FieldOps outbox: changes made without signal wait here (IndexedDB) and are pushed in order.
 * Shared by the page (window) and the service worker (Background Sync), so it touches no DOM.
 * Plain IndexedDB rather than a library: the few calls needed fit in this file. */
(function (root) {
  "use strict";
  const DB_NAME = "fieldops";
  const DB_VERSION = 1;
  let dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          outbox.createIndex("id", "id", { unique: true });
        }
        if (!db.objectStoreNames.contains("jobs")) db.createObjectStore("jobs", { keyPath: "id" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return dbPromise;
  }

  function tx(store, mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(store))).then((value) => { result = value; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    }));
  }

  function req(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    const b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const api = {
    uuid,
    getMeta(key) { return tx("meta", "readonly", (s) => req(s.get(key))).then((r) => r && r.value); },
    setMeta(key, value) { return tx("meta", "readwrite", (s) => req(s.put({ key, value }))); },
    async deviceId() {
      let id = await api.getMeta("device_id");
      if (!id) { id = uuid(); await api.setMeta("device_id", id); }
      return id;
    },
    /* Queue one change; returns the stored entry. */
    add(kind, workOrder, data, extra) {
      const entry = Object.assign({
        id: uuid(), kind, work_order: workOrder, data,
        occurred_at: new Date().toISOString(), state: "waiting",
      }, extra || {});
      return tx("outbox", "readwrite", (s) => req(s.add(entry))).then((seq) => Object.assign(entry, { seq }));
    },
    all() { return tx("outbox", "readonly", (s) => req(s.getAll())); },
    remove(seq) { return tx("outbox", "readwrite", (s) => req(s.delete(seq))); },
    update(entry) { return tx("outbox", "readwrite", (s) => req(s.put(entry))); },
    async counts() {
      const items = await api.all();
      return {
        waiting: items.filter((i) => i.state === "waiting").length,
        problems: items.filter((i) => i.state !== "waiting").length,
      };
    },
    saveJobs(jobs, keep) {
      return tx("jobs", "readwrite", async (s) => {
        for (const job of jobs) s.put(job);
        const stored = await req(s.getAllKeys());
        for (const key of stored) if (keep && !keep.includes(key)) s.delete(key);
      });
    },
    jobs() { return tx("jobs", "readonly", (s) => req(s.getAll())); },

    /* Push waiting changes in order, then pull fresh jobs. Safe to call from page and worker
     * at once: the server applies each mutation id once and answers "duplicate" to the other. */
    async sync() {
      const csrf = await api.getMeta("csrf");
      const items = (await api.all()).filter((i) => i.state === "waiting");
      const outcome = { applied: 0, problems: 0, jobs: [] };
      const headers = { "Content-Type": "application/json", "X-CSRFToken": csrf || "",
                        "X-Client-Source": "offline" };
      for (let start = 0; start < items.length; start += 200) {
        const batch = items.slice(start, start + 200);
        const response = await fetch("/api/v1/sync/push", {
          method: "POST", credentials: "same-origin", headers,
          body: JSON.stringify({
            device_id: await api.deviceId(), device_now: new Date().toISOString(),
            pending: items.length - start,
            mutations: batch.map((i) => ({ id: i.id, kind: i.kind, work_order: i.work_order,
                                          occurred_at: i.occurred_at, data: i.data })),
          }),
        });
        if (!response.ok) throw new Error(`push answered ${response.status}`);
        const { results } = await response.json();
        for (let n = 0; n < results.length; n += 1) {
          const result = results[n];
          const entry = batch[n];
          // A duplicate (the worker and the page pushed at once) carries the first answer.
          const answer = result.status === "duplicate" ? result.original : result;
          const status = answer.status;
          if (status === "applied") {
            outcome.applied += 1;
            await api.remove(entry.seq);
          } else {
            outcome.problems += 1;
            entry.state = status; // "conflict" or "rejected": kept until the technician decides
            entry.reason = answer.reason || (answer.error && answer.error.message) || status;
            entry.code = answer.code || (answer.error && answer.error.code) || "";
            entry.details = answer.error ? answer.error.details : {};
            entry.current = answer.current || null;
            await api.update(entry);
          }
        }
      }
      const cursor = await api.getMeta("pull_cursor");
      const pulled = await fetch(`/api/v1/sync/pull${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`,
                                 { credentials: "same-origin" });
      if (pulled.ok) {
        const body = await pulled.json();
        await api.saveJobs(body.work_orders, body.keep);
        await api.setMeta("pull_cursor", body.cursor);
        outcome.jobs = body.work_orders;
      }
      await api.setMeta("last_sync", new Date().toISOString());
      return outcome;
    },
  };
  root.FieldOpsOutbox = api;
})(typeof self !== "undefined" ? self : window);
