// The QR form refused a report sent too soon after it opened: the next press waits out the
// rest of that moment and then sends, so the same press goes through instead of a second refusal.
(function () {
  "use strict";
  const form = document.querySelector("form.qr-form[data-wait-ms]");
  if (!form) return;
  const readyAt = Date.now() + Number(form.dataset.waitMs) + 250;
  form.addEventListener("submit", (event) => {
    const wait = readyAt - Date.now();
    if (wait <= 0) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = button.dataset.sending || button.textContent;
    window.setTimeout(() => form.submit(), wait);
  });
})();
