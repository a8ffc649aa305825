/* The call page (templates/sessions/call.html): a video or voice call between the session's two participants.
   Media go peer to peer over WebRTC (DTLS-SRTP); the server only relays signaling over the call socket
   (docs/call-protocol.md). Perfect negotiation, with the "polite" side given by the server.
   window.__call exposes the state (the peer connection included) for the browser test. */
(function () {
  "use strict";
  var root = document.getElementById("call");
  if (!root) return;
  var strings = JSON.parse(document.getElementById("call-strings").textContent);
  var video = root.dataset.video === "1";
  var statusEl = document.getElementById("call-status");
  var failedBox = document.getElementById("call-failed");
  var failedText = document.getElementById("call-failed-text");
  var remoteEl = document.getElementById("call-remote");
  var localEl = document.getElementById("call-local");
  var micButton = document.getElementById("call-mic");
  var cameraButton = document.getElementById("call-camera");
  var leaveButton = document.getElementById("call-leave");
  var reconnectButton = document.getElementById("call-reconnect");

  var call = { ws: null, pc: null, polite: false, makingOffer: false, ignoreOffer: false, stream: null,
               iceServers: [], ended: false, reported: "", log: [], rejoins: 0 };
  window.__call = call;

  function status(key, state) {
    statusEl.textContent = strings[key] || key;
    statusEl.dataset.state = state || key;
  }

  function showFailed(text) {
    failedText.textContent = text || strings.failed;
    failedText.hidden = failedText.textContent === statusEl.textContent; // said once, on the status line
    failedBox.hidden = false;
  }

  function send(frame) {
    if (call.ws && call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify(frame));
  }

  function report(state) {
    if (call.reported === state) return;
    call.reported = state;
    send({ type: "state", state: state });
  }

  function media() {
    if (call.stream) return Promise.resolve(call.stream);
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video }).then(function (stream) {
      call.stream = stream;
      if (localEl) localEl.srcObject = stream;
      return stream;
    });
  }

  function closePeer() {
    if (call.pc) {
      call.pc.onconnectionstatechange = null;
      call.pc.close();
    }
    call.pc = null;
    call.reported = "";
  }

  function newPeer() {
    note("new peer connection");
    closePeer();
    var pc = new RTCPeerConnection({ iceServers: call.iceServers });
    call.pc = pc;
    call.makingOffer = false;
    call.ignoreOffer = false;
    call.stream.getTracks().forEach(function (track) { pc.addTrack(track, call.stream); });
    pc.ontrack = function (event) {
      if (remoteEl.srcObject !== event.streams[0]) remoteEl.srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onicecandidate = function (event) {
      note("ice -> " + (event.candidate ? event.candidate.candidate.split(" ").slice(4, 8).join(" ") : "end"));
      send({ type: "ice", candidate: event.candidate ? event.candidate.toJSON() : null });
    };
    pc.onnegotiationneeded = function () {
      note("negotiationneeded");
      call.makingOffer = true;
      pc.setLocalDescription().then(function () {
        send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      }).catch(function (error) { note("offer failed: " + error); }).then(function () { call.makingOffer = false; });
    };
    watchdog(pc);
    pc.onconnectionstatechange = function () {
      if (call.pc !== pc) return;
      var state = pc.connectionState;
      note("connection " + state);
      if (state === "connected") {
        failedBox.hidden = true;
        status("connected");
        report("connected");
      } else if (state === "disconnected") {
        status("reconnecting");
        report("disconnected");
      } else if (state === "failed") {
        status("failed");
        showFailed();
        report("failed");
      }
    };
    return pc;
  }

  // A connection still not up after a while restarts ICE once; if that does not help either, the impolite side
  // joins again, so that both pages start over with new peer connections (the other page sees it leave and come
  // back, and offers).
  var RESTART_AFTER_MS = 5000;
  var REJOIN_AFTER_MS = 12000;
  var REJOINS = 2;
  var OFFER_WAIT_MS = 3000;

  function watchdog(pc) {
    setTimeout(function () {
      if (call.pc !== pc || pc.connectionState === "connected") return;
      note("restart ICE");
      pc.restartIce();
    }, RESTART_AFTER_MS);
    setTimeout(function () {
      if (call.pc !== pc || pc.connectionState === "connected" || call.polite || call.rejoins >= REJOINS) return;
      call.rejoins += 1;
      note("join again");
      rejoin();
    }, REJOIN_AFTER_MS);
  }

  function onDescription(type, sdp) {
    var pc = call.pc || newPeer();
    var collision = type === "offer" && (call.makingOffer || pc.signalingState !== "stable");
    call.ignoreOffer = !call.polite && collision;
    if (call.ignoreOffer) {
      note("offer ignored (glare)");
      return;
    }
    pc.setRemoteDescription({ type: type, sdp: sdp }).then(function () {
      if (type !== "offer") return null;
      return pc.setLocalDescription().then(function () {
        send({ type: "answer", sdp: pc.localDescription.sdp });
      });
    }).catch(function (error) { note("description refused: " + error); });
  }

  function onIce(candidate) {
    if (!call.pc) return;
    var added = candidate ? call.pc.addIceCandidate(candidate) : call.pc.addIceCandidate();
    added.catch(function (error) { if (!call.ignoreOffer) note("candidate refused: " + error); });
  }

  function note(text) {
    call.log.push(Math.round(performance.now()) + " " + text); // what happened, for the test and the console
    if (call.log.length > 200) call.log.shift();
  }

  function onFrame(frame) {
    if (frame.type !== "ice") note("<- " + frame.type + (frame.state ? " " + frame.state : "") + (frame.peer_present ? " peer_present" : ""));
    switch (frame.type) {
      case "ready":
        call.polite = frame.polite;
        call.iceServers = frame.ice_servers || [];
        if (frame.peer_present) {
          // The other page was here first: it offers when it hears that this one joined (one offer, no glare).
          // If its offer does not come, this page offers itself.
          status("negotiating", "connecting");
          var waitingFor = call.ws;
          setTimeout(function () {
            if (!call.pc && call.ws === waitingFor && !call.ended) newPeer();
          }, OFFER_WAIT_MS);
        } else {
          status("waiting");
        }
        break;
      case "peer":
        if (frame.state === "joined") {
          status("negotiating", "connecting");
          failedBox.hidden = true;
          reconnectButton.hidden = false;
          newPeer();
        } else {
          closePeer();
          remoteEl.srcObject = null;
          status("peer_left");
          showFailed(strings.peer_left);
          reconnectButton.hidden = true; // nothing to redo here: the other person comes back, or the chat
        }
        break;
      case "offer":
      case "answer":
        onDescription(frame.type, frame.sdp);
        break;
      case "ice":
        note("ice <- " + (frame.candidate ? frame.candidate.candidate.split(" ").slice(4, 8).join(" ") : "end"));
        onIce(frame.candidate);
        break;
      case "closed":
        call.ended = true;
        closePeer();
        statusEl.textContent = frame.message || strings.left;
        statusEl.dataset.state = frame.reason === "hangup" ? "left" : "closed";
        if (frame.reason === "hangup") showFailed(strings.left);
        else showFailed(frame.message);
        if (frame.reason !== "hangup") reconnectButton.hidden = true;
        break;
      case "error":
        if (frame.code === "gate_refused") {
          call.ended = true;
          statusEl.textContent = frame.message;
          statusEl.dataset.state = "closed";
          showFailed(frame.message);
          reconnectButton.hidden = true;
        } else {
          console.warn("call: error frame", frame.code, frame.message);
        }
        break;
    }
  }

  function connect() {
    call.ended = false;
    failedBox.hidden = true;
    reconnectButton.hidden = false;
    status("connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    call.ws = ws;
    ws.onopen = function () { send({ type: "join" }); };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      onFrame(frame);
    };
    ws.onclose = function () {
      if (call.ws !== ws) return;
      call.ws = null;
      if (!call.ended) {
        closePeer();
        status("failed");
        showFailed();
      }
    };
  }

  function start() {
    media().then(connect, function () {
      status("no_media");
      showFailed(strings.no_media);
    });
  }

  function toggle(kind, button, onKey, offKey) {
    if (!call.stream) return;
    var tracks = kind === "audio" ? call.stream.getAudioTracks() : call.stream.getVideoTracks();
    var enabled = !(tracks[0] && tracks[0].enabled);
    tracks.forEach(function (track) { track.enabled = enabled; });
    button.textContent = strings[enabled ? onKey : offKey];
    button.setAttribute("aria-pressed", enabled ? "false" : "true");
  }

  micButton.addEventListener("click", function () { toggle("audio", micButton, "mic_on", "mic_off"); });
  if (cameraButton) {
    cameraButton.addEventListener("click", function () { toggle("video", cameraButton, "camera_on", "camera_off"); });
  }
  leaveButton.addEventListener("click", function () {
    call.ended = true;
    send({ type: "hangup" });
    closePeer();
    if (call.stream) {
      call.stream.getTracks().forEach(function (track) { track.stop(); });
      call.stream = null;
      if (localEl) localEl.srcObject = null;
    }
    status("left");
    showFailed(strings.left);
  });
  function rejoin() {
    var old = call.ws;
    call.ws = null;
    call.ended = true;
    closePeer();
    if (old) old.close();
    start();
  }

  reconnectButton.addEventListener("click", function () {
    call.rejoins = 0;
    rejoin();
  });
  start();
})();
