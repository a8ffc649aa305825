// Real-time notices for signed-in people, on every page: escalation alerts for staff, a client's dropped
// connection during a session, "a person has been alerted" and the emergency numbers for clients, and every
// other notice the server sends with a title (a client's new message, a reply due soon, a booking, a licence
// decision ...), each also kept in the person's notice list (/notices/), whose unread count in the header it
// updates. Listens on /ws/notifications/ and reconnects with back-off. Only ids and short non-clinical
// text arrive here; details are on the linked page (over HTTPS). Everything is put in as text (textContent),
// never as HTML. A notice without a title is for pages that listen for it themselves and is not shown.
(() => {
  "use strict";
  let delay = 1000;
  let unnamed = 0;

  // Escalations interrupt (role=alert); every other notice waits its turn (role=status), below them.
  function region(urgent) {
    const id = urgent ? "live-alerts" : "live-notices";
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "live-alerts";
      box.setAttribute("role", urgent ? "alert" : "status");
      box.setAttribute("aria-live", urgent ? "assertive" : "polite");
      const alerts = document.getElementById("live-alerts");
      if (!urgent && alerts) {
        alerts.after(box);
      } else {
        (document.getElementById("main") || document.body).prepend(box);
      }
    }
    return box;
  }

  function text(value) {
    return typeof value === "string" ? value.trim() : "";
  }

  // Only a path on this site: "/sessions/chat/3/", never "//elsewhere" or "/\elsewhere" (both leave the site).
  function sitePath(value) {
    return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : "";
  }

  function show(payload) {
    const type = text(payload.type) || "notice";
    // A client's connection that dropped during a session (payload.urgent) interrupts like an escalation.
    const urgent = type.startsWith("escalation.") || payload.urgent === true;
    // One card per thing: a notice about the same thing (type and id) replaces its card; a repeated press
    // of the help button (payload.press) is a new card.
    const id =
      payload.id !== undefined && payload.id !== null
        ? `alert-${type}-${payload.id}${payload.press ? `-${payload.press}` : ""}`
        : `notice-${++unnamed}`;
    const old = document.getElementById(id);
    if (old) old.remove();
    const card = document.createElement("section");
    card.id = id;
    card.className =
      `live-alert ${type.replace(/[^a-z0-9]+/gi, "-")}` +
      (urgent ? "" : " notice") +
      (payload.level >= 3 ? " severe" : "") +
      (payload.press ? " repeat" : "");
    const title = document.createElement("strong");
    title.className = "live-alert-title";
    title.textContent = text(payload.title);
    card.append(title);
    if (text(payload.body)) {
      const body = document.createElement("p");
      body.textContent = text(payload.body);
      card.append(body);
    }
    if (Array.isArray(payload.numbers) && payload.numbers.length) {
      const list = document.createElement("ul");
      list.className = "emergency-numbers";
      for (const item of payload.numbers) {
        const li = document.createElement("li");
        // The server builds the link (identity.dialing): "119, then press 8" dials tel:119,8.
        if (text(item.number) && text(item.tel)) {
          const a = document.createElement("a");
          a.className = "phone";
          a.href = item.tel;
          a.textContent = item.number;
          li.append(a, " ");
        } else if (text(item.number)) {
          li.append(item.number, " ");
        }
        li.append(text(item.label));
        list.append(li);
      }
      card.append(list);
    }
    const url = sitePath(payload.url);
    if (url) {
      const link = document.createElement("a");
      link.href = url;
      link.className = "button small";
      link.textContent = text(payload.link) || url;
      card.append(link);
    }
    region(urgent).prepend(card);
  }

  // The header's unread count (templates/base.html): the server counts, after keeping the notice in the list.
  function count(payload) {
    if (!Number.isInteger(payload.unread) || payload.unread < 0) return;
    const box = document.querySelector("[data-notice-count]");
    const value = document.querySelector("[data-notice-count-value]");
    if (!box || !value) return;
    value.textContent = String(payload.unread);
    box.hidden = payload.unread === 0;
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
      if (payload && typeof payload === "object" && text(payload.title)) {
        show(payload);
        count(payload);
      }
    });
    socket.addEventListener("close", (event) => {
      delete document.documentElement.dataset.alertsConnected;
      if (event.code === 4401) return; // signed out
      if (event.code === 4429) delay = 30000; // too many pages open: the other pages get the alerts meanwhile
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  // base.html includes this script only for signed-in people.
  connect();
})();
