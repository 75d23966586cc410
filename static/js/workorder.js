/* Work-order page: the signature pad, and a notice when someone else changes this job. */
(function () {
  "use strict";
  const article = document.querySelector("[data-work-order]");
  if (article) {
    const id = article.dataset.workOrder;
    const notice = document.getElementById("wo-changed");
    ["workorder.updated", "workorder.status_changed", "workorder.assigned"].forEach((type) => {
      document.body.addEventListener(`fo:${type}`, (event) => {
        const data = event.detail && event.detail.data;
        if (!data || data.id !== id || !notice) return;
        if (String(data.version) === article.dataset.version && type === "workorder.updated") return;
        notice.hidden = false;
      });
    });
  }

  // A refused form comes back with the page: bring its first problem into view, not the top.
  const invalid = document.querySelector('.wo [aria-invalid="true"]');
  if (invalid) {
    const closed = invalid.closest("details:not([open])");
    if (closed) closed.open = true;
    invalid.scrollIntoView({ block: "center" });
    invalid.focus({ preventScroll: true });
  }

  document.querySelectorAll("[data-signature-form]").forEach((form) => {
    const canvas = form.querySelector("[data-signature-pad]");
    const fileInput = form.querySelector('input[type="file"][name="image"]');
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let inked = false;
    fileInput.hidden = true;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * (canvas.width / box.width),
              (event.clientY - box.top) * (canvas.height / box.height)];
    }
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      ctx.beginPath();
      ctx.moveTo(...point(event));
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      ctx.lineTo(...point(event));
      ctx.stroke();
      inked = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach((name) =>
      canvas.addEventListener(name, () => { drawing = false; }));
    form.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      inked = false;
    });
    form.addEventListener("submit", (event) => {
      // Offline, the outbox took this submit already; otherwise the server says what is missing.
      if (event.defaultPrevented || fileInput.files.length || !inked) return;
      event.preventDefault();
      canvas.toBlob((blob) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([blob], "signature.png", { type: "image/png" }));
        fileInput.files = transfer.files;
        form.submit();
      }, "image/png");
    });
  });
})();
