#!/usr/bin/env python
"""Where the directory page's CPU goes, in this process (Django's test client, PostgreSQL), for issue 23.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/11 PYTHONPATH=$PWD .venv/bin/python bench/directory_split.py [--loads 31]

Seeds (once) its own database `<name>_perf_directory` with the pages benchmark's cast and 200 more counselors
(bench/pages_seed.py), then loads the directory as the cast's client (signed in, her intake's place) and prints
the median CPU milliseconds of the whole load and of each step of the view (the selectors it calls, the forms,
the template). CPU time, not wall time: on a shared machine it is what other work changes least. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_bench import bench_stack, percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=31)
    parser.add_argument("--counselors", type=int, default=200, help="more counselors in the directory")
    parser.add_argument("--path", default="/licensing/counselors/")
    args = parser.parse_args()
    bench_stack(suffix="_perf_directory", layer_prefix="perf-directory", wall_clock_seconds=600, BENCH_LAYER="pubsub")
    from django.conf import settings
    from django.test import Client

    from bench.pages_bench import signed_in_cookie
    from bench.pages_seed import pages_cast_grow, pages_cast_seed
    from counseling.models import User
    from licensing import selectors, views

    settings.ROOT_URLCONF = "bench.pages_urls"
    cast = pages_cast_seed()
    more = args.counselors - User.objects.filter(email__startswith="pages-counselor-").count()
    if more > 0:
        pages_cast_grow(cast, counselors=more)
    spent: dict[str, list[float]] = {}

    def timed(name, function):
        def inner(*positional, **keywords):
            started = time.process_time()
            try:
                return function(*positional, **keywords)
            finally:
                spent.setdefault(name, []).append((time.process_time() - started) * 1000)

        return inner

    views.render = timed("template", views.render)
    views.LocationForm = timed("location form", views.LocationForm)
    views._visitor_location = timed("visitor location", views._visitor_location)
    for name in ("directory_entries", "directory_filter", "directory_cards", "directory_next_free"):
        setattr(selectors, name, timed(name, getattr(selectors, name)))
    browser = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=signed_in_cookie(cast.client))
    assert browser.get(args.path).status_code == 200  # warms the process's caches
    spent.clear()
    total = []
    for _ in range(args.loads):
        started = time.process_time()
        browser.get(args.path)
        total.append((time.process_time() - started) * 1000)
    print(f"{args.path}: median CPU ms of {args.loads} loads: whole {percentile(total, 0.5):.1f}")
    for name, values in spent.items():
        print(f"  {name:22} {percentile(values, 0.5):6.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} (other work on the machine inflates every figure)")


if __name__ == "__main__":
    main()
