#!/usr/bin/env python
"""Call set-up benchmark against the real stack: two Daphne processes, the Redis channel layer, PostgreSQL, and
Debian's Chromium driven by Playwright with fake camera and microphone.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/call_bench.py [--calls 20]

What it measures, per call, on loopback only:
- **our signaling**: the time from both people joined (the second participant's "ready" frame, which says the
  other one is present) to both browsers' RTCPeerConnection reporting connectionState "connected", with the offer,
  the answer and every ICE candidate carried by the call socket (`ws/sessions/<id>/call/`, the CallConsumer of
  docs/call-protocol.md) through two server processes and Redis: the client's page is on one Daphne, the
  counselor's on the other, as docker-compose.yml runs two web processes;
- **a bare pair**, in the same run and between the same calls (taking turns, first one then the other): two
  RTCPeerConnections in one page exchanging the offer, the answer and the candidates directly in JavaScript, from
  the offer to both connected.
Both sides hold their camera and microphone before the clock starts, and both use no STUN or TURN server (the
host's own addresses), so the difference is what our signaling adds. It prints p50 and p95 of each over the
calls and the ratio of ours to the bare pair's.

The pages: each participant opens bench/call_urls.py's empty page (Permissions-Policy camera=(self)), signed in
by cookie, and runs a small driver that follows the frames of docs/call-protocol.md (join, ready, peer, offer,
answer, ice, state, hangup): the second to join makes the offer. static/js/call.js is not run, so its own
choices (perfect negotiation, its interface) are not in the figures. The consent, identity and licensing gates
are opened as in the chat benchmark (bench/chat_asgi.py): the socket still checks them, once per connect, outside
the measured time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_bench import bench_stack, make_cast  # noqa: E402
from tests.servers import AsgiServer  # noqa: E402

APP = "bench.call_asgi:application"
CHROMIUM = "/usr/bin/chromium"
WALL_CLOCK_LIMIT = 15 * 60  # the whole run is stopped after this many seconds, whatever happens
CALL_TIMEOUT_MS = 20_000

# Media first (outside the clock), then two peer connections wired to each other in the page.
BARE_PAIR_JS = """
async () => {
  const clock = () => performance.timeOrigin + performance.now();
  const media = () => navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  const [sa, sb] = [await media(), await media()];
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  sa.getTracks().forEach((t) => a.addTrack(t, sa));
  sb.getTracks().forEach((t) => b.addTrack(t, sb));
  const wire = (from, to) => {
    const pending = [];
    from.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (to.remoteDescription) to.addIceCandidate(e.candidate); else pending.push(e.candidate);
    };
    return () => pending.splice(0).forEach((c) => to.addIceCandidate(c));
  };
  const flushToB = wire(a, b), flushToA = wire(b, a);
  const connected = (pc) => new Promise((resolve, reject) => {
    const check = () => {
      if (pc.connectionState === "connected") resolve(clock());
      if (pc.connectionState === "failed") reject(new Error("bare pair failed"));
    };
    pc.addEventListener("connectionstatechange", check);
    check();
  });
  const t0 = clock();
  const both = Promise.all([connected(a), connected(b)]);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  flushToB();
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  flushToA();
  const times = await both;
  a.close(); b.close();
  [...sa.getTracks(), ...sb.getTracks()].forEach((t) => t.stop());
  return Math.max(...times) - t0;
}
"""

# One participant: camera and microphone, the call socket, join; then the contract's frames until connected.
# Resolves with {t0, connected, offerer}: t0 when this page learnt that both are present (its "ready" with
# peer_present, or the "peer joined" frame), connected when its connectionState became "connected".
SIGNALING_JS = """
async ({ path, timeoutMs }) => {
  const clock = () => performance.timeOrigin + performance.now();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  const ws = new WebSocket(`ws://${location.host}${path}`);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = () => fail(new Error("the call socket was refused"));
  });
  const send = (frame) => ws.send(JSON.stringify(frame));
  let pc = null, t0 = null, offerer = false;
  const pending = [];
  const flush = () => pending.splice(0).forEach((c) => pc.addIceCandidate(c));
  const call = new Promise((resolve, reject) => {
    ws.onclose = (e) => reject(new Error(`the call socket closed: ${e.code}`));
    const open = (iceServers) => {
      pc = new RTCPeerConnection({ iceServers });
      stream.getTracks().forEach((t) => pc.addTrack(t, stream));
      pc.onicecandidate = (e) => send({ type: "ice", candidate: e.candidate ? e.candidate.toJSON() : null });
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "connected") {
          resolve({ t0, connected: clock(), offerer });
          send({ type: "state", state: "connected" });
        }
        if (pc.connectionState === "failed") reject(new Error("the call failed"));
      };
    };
    ws.onmessage = async (event) => {
      const frame = JSON.parse(event.data);
      try {
        if (frame.type === "ready") {
          window.benchReady = true;
          open(frame.ice_servers);
          if (frame.peer_present) {
            t0 = clock();
            offerer = true;
            await pc.setLocalDescription(await pc.createOffer());
            send({ type: "offer", sdp: pc.localDescription.sdp });
          }
        } else if (frame.type === "peer" && frame.state === "joined") {
          t0 = t0 ?? clock();
        } else if (frame.type === "offer") {
          await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
          flush();
          await pc.setLocalDescription(await pc.createAnswer());
          send({ type: "answer", sdp: pc.localDescription.sdp });
        } else if (frame.type === "answer") {
          await pc.setRemoteDescription({ type: "answer", sdp: frame.sdp });
          flush();
        } else if (frame.type === "ice" && frame.candidate) {
          if (pc && pc.remoteDescription) await pc.addIceCandidate(frame.candidate);
          else pending.push(frame.candidate);
        } else if (frame.type === "error" || frame.type === "closed") {
          reject(new Error(JSON.stringify(frame)));
        }
      } catch (error) {
        reject(error);
      }
    };
    send({ type: "join" });
  });
  window.benchCall = { ws, stream, get pc() { return pc; } };
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("no connection in time")), timeoutMs));
  return await Promise.race([call, timeout]);
}
"""

HANG_UP_JS = """
async () => {
  const call = window.benchCall;
  if (!call) return;
  if (call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify({ type: "hangup" }));
  if (call.pc) call.pc.close();
  call.stream.getTracks().forEach((t) => t.stop());
  await new Promise((r) => setTimeout(r, 50));
  call.ws.close();
}
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it (p95 of 20 calls is the 19th)."""
    data = sorted(values)
    return data[max(0, math.ceil(q * len(data)) - 1)] if data else float("nan")


def cookie(header: str, port: int) -> dict:
    name, value = header.split("=", 1)
    return {"name": name, "value": value, "url": f"http://127.0.0.1:{port}"}


async def call_with_our_signaling(client_page, counselor_page, path: str) -> float:
    """Milliseconds from both present to both connected. The client joins first; the counselor once the client has
    its "ready" (so exactly one of them, the second, is told the other is present and makes the offer)."""
    arguments = {"path": path, "timeoutMs": CALL_TIMEOUT_MS}
    first = asyncio.create_task(client_page.evaluate(SIGNALING_JS, arguments))
    for _ in range(CALL_TIMEOUT_MS // 5):  # polled: wait_for_function would evaluate a string, which the CSP forbids
        if await client_page.evaluate("() => window.benchReady === true") or first.done():
            break
        await asyncio.sleep(0.005)
    second = await counselor_page.evaluate(SIGNALING_JS, arguments)
    first = await first
    for page in (client_page, counselor_page):  # hang up before the bare pair runs in the same browser
        await page.evaluate(HANG_UP_JS)
    both_present = second["t0"] if second["offerer"] else first["t0"]
    return max(first["connected"], second["connected"]) - both_present


async def measure(cast: list[dict], servers: tuple[AsgiServer, AsgiServer], calls: int, warmup: int) -> dict:
    from playwright.async_api import async_playwright

    results: dict[str, list[float]] = {"signaling": [], "bare": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        try:
            for number in range(warmup + calls):
                pair = cast[number % len(cast)]
                pages = []
                for person, server in (("client", servers[0]), ("counselor", servers[1])):
                    context = await browser.new_context()
                    await context.add_cookies([cookie(pair[person], server.port)])
                    page = await context.new_page()
                    await page.goto(f"http://127.0.0.1:{server.port}/bench/call/")
                    pages.append(page)
                client_page, counselor_page = pages
                path = f"/ws/sessions/{pair['session']}/call/"

                # Take turns, so that a machine speeding up or slowing down favours neither.
                order = ("signaling", "bare") if number % 2 == 0 else ("bare", "signaling")
                for kind in order:
                    if kind == "signaling":
                        elapsed = await call_with_our_signaling(client_page, counselor_page, path)
                    else:
                        elapsed = await client_page.evaluate(BARE_PAIR_JS)
                    if number >= warmup:
                        results[kind].append(elapsed)
                for page in pages:
                    await page.context.close()
                if number >= warmup:
                    print(
                        f"  call {number - warmup + 1}: ours {results['signaling'][-1]:.1f} ms, "
                        f"bare pair {results['bare'][-1]:.1f} ms",
                        flush=True,
                    )
        finally:
            await browser.close()
    return results


def report(results: dict[str, list[float]]) -> None:
    ours, bare = results["signaling"], results["bare"]
    p50 = {kind: percentile(values, 0.5) for kind, values in results.items()}
    p95 = {kind: percentile(values, 0.95) for kind, values in results.items()}
    print()
    print(f"{'path':28} {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, label in (("signaling", "our signaling (2 Daphne)"), ("bare", "bare pair, in-page")):
        print(f"{label:28} {len(results[kind]):5d} {p50[kind]:8.1f} {p95[kind]:8.1f} {max(results[kind]):8.1f}")
    print()
    print(
        f"ours/bare: p50 ratio {p50['signaling'] / p50['bare']:.2f}, p95 ratio {p95['signaling'] / p95['bare']:.2f}; "
        f"median of per-call differences {statistics.median(o - b for o, b in zip(ours, bare, strict=True)):+.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="measured calls, at most 100")
    parser.add_argument("--warmup", type=int, default=2, help="calls before measuring (not counted)")
    args = parser.parse_args()
    if not 1 <= args.calls <= 100 or not 0 <= args.warmup <= 10:
        sys.exit("--calls must be 1..100 and --warmup 0..10")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: the benchmark drives Debian's Chromium")
    env, bench_url = bench_stack(
        suffix="_bench_call",
        layer_prefix="bench-call",
        wall_clock_seconds=WALL_CLOCK_LIMIT,
        # No STUN or TURN server: the browsers reach each other on this host (the bare pair uses none either).
        CALL_STUN_URLS="",
        CALL_TURN_URLS="",
        CALL_TURN_SECRET="",
    )
    cast = make_cast(min(args.calls + args.warmup, 20))
    from sessions.models import CounselingSession, SessionMedium

    CounselingSession.objects.filter(pk__in=[pair["session"] for pair in cast]).update(medium=SessionMedium.VIDEO)
    print(
        f"{args.calls} calls (+{args.warmup} warm-up) over {len(cast)} sessions; the client's page on one Daphne, "
        f"the counselor's on another, Redis between them; PostgreSQL {bench_url.rsplit('/', 1)[1]}; "
        f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f} "
        "(other work on the machine skews every figure)"
    )
    server_env = dict(env, BENCH_LAYER=os.environ.get("BENCH_LAYER", "pubsub"))
    with (
        AsgiServer("daphne", server_env, app=APP, log=None) as first,
        AsgiServer("daphne", server_env, app=APP, log=None) as second,
    ):
        results = asyncio.run(measure(cast, (first, second), args.calls, args.warmup))
    report(results)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete("celery")


if __name__ == "__main__":
    main()
