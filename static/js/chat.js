// The chat client (docs/chat-protocol.md). Plain JavaScript, no framework, no third-party code.
// - Messages get a client-generated id and wait in localStorage until the server acknowledges them,
//   so nothing typed is lost to a reload or a dropped connection; resending is safe (idempotent).
// - The server numbers messages (seq); on every (re)connect we ask for everything after the last
//   number we saw, and a gap in the numbers triggers the same resync.
// - Reconnects back off exponentially with jitter; refusals (4401, 4403, 4409) do not reconnect.
(function () {
  "use strict";

  const root = document.getElementById("chat");
  if (!root) return;
  const strings = JSON.parse(document.getElementById("chat-strings").textContent);
  const me = Number(root.dataset.user);
  const readOnly = root.dataset.readOnly === "1";
  const isClient = root.dataset.isClient === "1";
  // The name over each message: the two people and anyone who answered for the counselor (a cover).
  const names = JSON.parse(document.getElementById("chat-names").textContent);
  let clientId = null;
  const log = document.getElementById("chat-log");
  const statusLine = document.getElementById("chat-status");
  const typingLine = document.getElementById("chat-typing");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const outboxKey = "chat-outbox:" + me + ":" + root.dataset.conversation;
  const FINAL_CLOSE_CODES = [4401, 4403, 4409];

  let socket = null;
  let lastSeq = 0;
  let attempt = 0;
  let stopped = false;
  let lastTypingSent = 0;
  let typingTimer = null;
  let resyncing = false;

  // Outbox: unacknowledged messages, kept across reloads.
  function loadOutbox() {
    try { return JSON.parse(localStorage.getItem(outboxKey) || "[]"); } catch (e) { return []; }
  }
  function saveOutbox(items) {
    try { localStorage.setItem(outboxKey, JSON.stringify(items)); } catch (e) { /* private mode: memory only */ }
  }
  let outbox = loadOutbox();

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function setStatus(text, state) {
    statusLine.textContent = text;
    statusLine.dataset.state = state;
  }

  function timeLabel(iso) {
    const d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
  }

  // Rendering. Text goes in with textContent only: a message can never become markup.
  function bubble(key) {
    let li = log.querySelector('[data-key="' + key + '"]');
    if (!li) {
      li = document.createElement("li");
      li.dataset.key = key;
      const who = document.createElement("span"); who.className = "msg-who";
      const body = document.createElement("p"); body.className = "msg-body";
      const meta = document.createElement("span"); meta.className = "msg-meta";
      li.append(who, body, meta);
      log.appendChild(li);
    }
    return li;
  }

  function renderMessage(m) {
    const mine = m.sender === me;
    const li = bubble(m.client_msg_id);
    li.className = "msg " + (mine ? "mine" : "theirs") + (m.error ? " undecryptable" : "");
    li.dataset.seq = m.seq;
    li.querySelector(".msg-who").textContent = mine ? strings.you : nameOf(m.sender);
    li.querySelector(".msg-body").textContent = m.error ? strings.undecryptable : m.body;
    setMeta(li, m.created_at, mine ? (m.read ? "read" : "sent") : "");
    place(li, m.seq);
    scrollDown();
  }

  // Keep the list in server order (a resync fills gaps), with unacknowledged messages last.
  function nameOf(userId) { return names[String(userId)] || strings.someone; }

  function place(li, seq) {
    const next = Array.from(log.children).find((el) => el !== li && (!el.dataset.seq || Number(el.dataset.seq) > seq));
    if (next) log.insertBefore(li, next); else if (li !== log.lastElementChild) log.appendChild(li);
  }

  function renderPending(item, state) {
    const li = bubble(item.id);
    li.className = "msg mine pending";
    li.querySelector(".msg-who").textContent = strings.you;
    li.querySelector(".msg-body").textContent = item.body;
    setMeta(li, item.at, state || "sending");
    log.appendChild(li);  // pending ones stay at the end until acknowledged
    scrollDown();
  }

  function setMeta(li, iso, state) {
    const meta = li.querySelector(".msg-meta");
    meta.textContent = timeLabel(iso) + (state ? " · " + (strings[state] || state) : "");
    li.dataset.state = state;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // Socket.
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function flushOutbox() {
    for (const item of outbox) send({ type: "send", client_msg_id: item.id, body: item.body });
  }

  function markRead() {
    if (readOnly || document.hidden) return;
    const theirs = Array.from(log.querySelectorAll(".msg.theirs[data-seq]"));
    if (theirs.length) send({ type: "read", up_to_seq: Number(theirs[theirs.length - 1].dataset.seq) });
  }

  function resync() {
    if (resyncing) return;
    resyncing = true;
    send({ type: "resync", after_seq: lastSeq });
  }

  function accept(m) {
    outbox = outbox.filter((item) => item.id !== m.client_msg_id);
    saveOutbox(outbox);
    renderMessage(m);
    lastSeq = Math.max(lastSeq, m.seq);
  }

  const handlers = {
    hello(f) {
      attempt = 0;
      clientId = f.client;
      lastSeq = Math.max(lastSeq, (f.from_seq || 1) - 1);  // a cover reads the recent history only
      setStatus(strings.online, "online");
      resync();
    },
    history(f) {
      resyncing = false;
      for (const m of f.messages) accept(m);  // idempotent: a message already shown is updated in place
      if (f.more) { resync(); return; }
      flushOutbox();
      markRead();
    },
    message(m) {
      if (m.seq <= lastSeq) return;
      if (m.seq > lastSeq + 1) { resync(); return; }  // the doorbell missed a ring: fetch the gap
      accept(m);
      if (m.sender !== me) { typingLine.textContent = ""; markRead(); }
    },
    ack(f) {
      const item = outbox.find((i) => i.id === f.client_msg_id);
      outbox = outbox.filter((i) => i.id !== f.client_msg_id);
      saveOutbox(outbox);
      const li = log.querySelector('[data-key="' + f.client_msg_id + '"]');
      if (li) {
        li.classList.remove("pending");
        li.dataset.seq = f.seq;
        setMeta(li, f.created_at, li.dataset.state === "read" ? "read" : "sent");
        place(li, f.seq);
      } else if (item) {
        renderMessage({ seq: f.seq, client_msg_id: f.client_msg_id, sender: me, body: item.body, created_at: f.created_at });
      }
      if (f.seq === lastSeq + 1) lastSeq = f.seq;
    },
    read(f) {
      if ((f.reader === clientId) === isClient) return;  // read by someone on my own side (a cover, say)
      for (const li of log.querySelectorAll(".msg.mine[data-seq]")) {
        if (Number(li.dataset.seq) <= f.up_to_seq) setMeta(li, null, "read");
      }
    },
    typing(f) {
      typingLine.textContent = nameOf(f.sender) + " " + strings.typing;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingLine.textContent = ""; }, 4000);
    },
    error(f) {
      if (f.frame === "resync") {
        // Too many resyncs on this socket: ask again when the server says one is allowed.
        setTimeout(() => { resyncing = false; resync(); }, Math.max(0.5, f.retry_after || 1) * 1000);
        return;
      }
      if (f.client_msg_id) {
        const li = log.querySelector('[data-key="' + f.client_msg_id + '"]');
        if (f.code === "rate_limited" || f.code === "server_error") {
          if (li) setMeta(li, null, "failed");
          setTimeout(flushOutbox, 5000);
        } else {
          // Refused for good (too long, empty...): drop it from the outbox and say why.
          outbox = outbox.filter((i) => i.id !== f.client_msg_id);
          saveOutbox(outbox);
          if (li) { li.classList.add("refused"); li.querySelector(".msg-meta").textContent = f.message; }
        }
        return;
      }
      if (f.code === "signed_out") {
        // Signed out (after inactivity, or on another page): leave the conversation for the sign-in page,
        // so whoever picks the device up next does not find it open.
        stopped = true;
        setStatus(f.message, "closed");
        // Nothing readable stays in the browser once signed out: discard every outbox, and let the
        // sign-in page say how many unsent messages went (site.js; counseling.views.LoginView).
        outbox = [];
        const discarded = window.chatOutboxesClear ? window.chatOutboxesClear() : 0;
        if (f.action_url) {
          const target = new URL(f.action_url, location.href);
          if (discarded) target.searchParams.set("discarded", String(discarded));
          location.assign(target.toString());
        }
        return;
      }
      if (f.code === "reason_required" && overrideError) {
        overrideError.textContent = f.message;
        overrideError.hidden = false;
        return;
      }
      if (f.code === "gate_refused") stopped = true;
      setStatus(f.message, f.code === "gate_refused" ? "closed" : "error");
    },
    cover(f) {
      names[String(f.user)] = f.name;
      const line = document.getElementById("chat-cover");
      for (const old of document.querySelectorAll("[data-cover-notice]")) old.hidden = true;
      line.textContent = f.text;
      line.hidden = false;
    },
    help_sent() { setStatus(strings.help_sent, "help"); },
    code_word_request() {
      const box = document.getElementById("code-word-box");
      document.getElementById("code-word-prompt").textContent = strings.code_word_prompt;
      box.hidden = false;
      document.getElementById("code-word-input").focus();
    },
    code_word_sent() {
      document.getElementById("code-word-box").hidden = true;
      setStatus(strings.code_word_sent, "online");
    },
    code_word_requested() {
      const result = document.getElementById("code-word-result");
      if (result) { result.textContent = strings.code_word_requested; result.className = "badge warn"; }
    },
    code_word_result(f) {
      const result = document.getElementById("code-word-result");
      if (!result) return;
      const locked = f.state === "locked";
      result.textContent = f.match ? strings.match : (locked ? strings.code_word_locked : strings.no_match);
      result.className = "badge " + (f.match ? "ok" : "bad");
      // A mismatch says what to do now, and offers to go on with a written reason.
      codeWordAdvice(f.match ? "" : (locked ? strings.locked_advice : strings.mismatch_advice));
      if (overrideForm) overrideForm.hidden = Boolean(f.match);
    },
    code_word_overridden() {
      const result = document.getElementById("code-word-result");
      if (result) { result.textContent = strings.code_word_overridden; result.className = "badge warn"; }
      codeWordAdvice("");
      if (overrideForm) overrideForm.hidden = true;
    },
    pong() {},
  };

  function connect() {
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) return;
    setStatus(attempt ? strings.offline : strings.connecting, attempt ? "offline" : "connecting");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const current = new WebSocket(scheme + location.host + root.dataset.wsPath);
    socket = current;
    resyncing = false;
    current.addEventListener("message", (event) => {
      if (socket !== current) return;  // dropped: the resync after reconnecting brings what it missed
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });
    current.addEventListener("close", (event) => {
      if (socket !== current) return;  // dropped when the network went away; its close came later
      socket = null;
      if (FINAL_CLOSE_CODES.includes(event.code)) {
        stopped = true;
        if (statusLine.dataset.state !== "closed") setStatus(strings.closed, "closed");
        return;
      }
      attempt += 1;
      setStatus(strings.offline, "offline");
      const delay = Math.min(30000, 1000 * 2 ** Math.min(attempt - 1, 5)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  // Wiring.
  for (const item of outbox) renderPending(item, "sending");

  if (form && !readOnly) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = input.value;
      if (!body.trim()) return;
      const item = { id: uuid4(), body: body, at: new Date().toISOString() };
      outbox.push(item);
      saveOutbox(outbox);
      renderPending(item, "sending");
      input.value = "";
      send({ type: "send", client_msg_id: item.id, body: item.body });
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener("input", () => {
      const now = Date.now();
      if (now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing" }); }
    });
  }

  const help = document.getElementById("chat-help");
  if (help && isClient) help.addEventListener("click", () => { send({ type: "help" }); });

  const overrideForm = document.getElementById("code-word-override-form");
  const overrideError = document.getElementById("code-word-override-error");
  if (overrideForm) {
    overrideForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const field = document.getElementById("code-word-reason");
      overrideError.hidden = true;
      if (send({ type: "code_word_override", reason: field.value })) field.value = "";
    });
  }

  function codeWordAdvice(text) {
    const advice = document.getElementById("code-word-advice");
    if (!advice) return;
    advice.textContent = text;
    advice.hidden = !text;
  }

  const ask = document.getElementById("code-word-ask");
  if (ask) ask.addEventListener("click", () => { send({ type: "code_word_request" }); });

  const codeForm = document.getElementById("code-word-form");
  if (codeForm) {
    codeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const field = document.getElementById("code-word-input");
      if (field.value.trim()) send({ type: "code_word", attempt: field.value });
      field.value = "";
    });
  }

  document.addEventListener("visibilitychange", markRead);
  // A phone that loses its network may keep a dead socket open for minutes, and closing it waits for a
  // handshake that cannot arrive: forget it at once, let the outbox hold what is typed, and reconnect
  // as soon as the network is back.
  window.addEventListener("offline", () => {
    if (!socket || stopped) return;
    const dead = socket;
    socket = null;
    dead.close();
    attempt += 1;
    setStatus(strings.offline, "offline");
  });
  window.addEventListener("online", () => { if (!socket && !stopped) { attempt = 0; connect(); } });
  connect();
})();
