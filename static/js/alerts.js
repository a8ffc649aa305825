// Real-time alerts for signed-in people: escalation alerts for staff, "a person has been alerted"
// and the emergency numbers for clients. Listens on /ws/notifications/ and reconnects with back-off.
// Only ids and short non-clinical text arrive here; details are on the linked page (over HTTPS).
(() => {
  "use strict";
  const KINDS = new Set(["escalation.alert", "escalation.client", "erasure.answered"]);
  let delay = 1000;

  function region() {
    let box = document.getElementById("live-alerts");
    if (!box) {
      box = document.createElement("div");
      box.id = "live-alerts";
      box.className = "live-alerts";
      box.setAttribute("role", "alert");
      box.setAttribute("aria-live", "assertive");
      const main = document.getElementById("main") || document.body;
      main.prepend(box);
    }
    return box;
  }

  function show(payload) {
    const box = region();
    // A repeated press of the help button (payload.press) is a new card; a resent one replaces its own.
    const id = `alert-${payload.type}-${payload.id}${payload.press ? `-${payload.press}` : ""}`;
    const old = document.getElementById(id);
    if (old) old.remove();
    const card = document.createElement("section");
    card.id = id;
    card.className = `live-alert ${payload.type.replace(".", "-")}${payload.level >= 3 ? " severe" : ""}` +
      (payload.press ? " repeat" : "");
    const title = document.createElement("strong");
    title.className = "live-alert-title";
    title.textContent = payload.title || "";
    card.append(title);
    if (payload.body) {
      const body = document.createElement("p");
      body.textContent = payload.body;
      card.append(body);
    }
    if (Array.isArray(payload.numbers) && payload.numbers.length) {
      const list = document.createElement("ul");
      list.className = "emergency-numbers";
      for (const item of payload.numbers) {
        const li = document.createElement("li");
        // The server builds the link (identity.dialing): "119, then press 8" dials tel:119,8.
        if (item.number && item.tel) {
          const a = document.createElement("a");
          a.className = "phone";
          a.href = item.tel;
          a.textContent = item.number;
          li.append(a, " ");
        } else if (item.number) {
          li.append(item.number, " ");
        }
        li.append(item.label || "");
        list.append(li);
      }
      card.append(list);
    }
    if (payload.url && payload.url.startsWith("/")) {
      const link = document.createElement("a");
      link.href = payload.url;
      link.className = "button small";
      link.textContent = payload.link || payload.url;
      card.append(link);
    }
    box.prepend(card);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/notifications/`);
    socket.addEventListener("open", () => {
      delay = 1000;
      document.documentElement.dataset.alertsConnected = "1";
    });
    socket.addEventListener("message", (event) => {
      let payload;
      try { payload = JSON.parse(event.data); } catch { return; }
      if (payload && KINDS.has(payload.type)) show(payload);
    });
    socket.addEventListener("close", (event) => {
      delete document.documentElement.dataset.alertsConnected;
      if (event.code === 4401) return; // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  // base.html includes this script only for signed-in people.
  connect();
})();
