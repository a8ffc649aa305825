// Small progressive enhancements only; every page works without JavaScript.

// Unsent chat messages wait in localStorage ("chat-outbox:<user>:<conversation>", static/js/chat.js) in
// plain text. Nothing readable may stay in the browser once the person is signed out (the transparency
// page says so): every outbox is discarded at sign-out, and the count is told to the person.
window.chatOutboxesClear = function () {
  let count = 0;
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key && key.indexOf("chat-outbox:") === 0) keys.push(key);
    }
    for (const key of keys) {
      try {
        const items = JSON.parse(localStorage.getItem(key) || "[]");
        count += Array.isArray(items) ? items.length : 0;
      } catch (e) { /* unreadable: still discarded */ }
      localStorage.removeItem(key);
    }
  } catch (e) { /* storage disabled: nothing was kept */ }
  return count;
};

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // The sign-out form: discard the outboxes as it is sent; the server says how many were discarded.
  for (const form of document.querySelectorAll("form[data-sign-out]")) {
    form.addEventListener("submit", () => {
      const field = form.querySelector('input[name="unsent_discarded"]');
      const count = window.chatOutboxesClear();
      if (field) field.value = String(count);
    });
  }
  // Signed out some other way (the session expired, or ended in another tab): discard what is left.
  if (document.body.dataset.signedIn === "0") {
    const count = window.chatOutboxesClear();
    const notice = document.getElementById("outbox-discarded");
    if (count > 0 && notice) {
      notice.textContent = count === 1 ? notice.dataset.one : notice.dataset.many.replace("%(count)s", String(count));
      notice.hidden = false;
    }
  }
});
