"""In-cluster load for the restart test: GET a public route of a Service for a while.

    python load.py URL SECONDS CONCURRENCY

Prints one JSON summary line. A request fails on a connection error or a 5xx answer; 4xx
answers (no token, unknown id) are the service answering correctly. Exits 1 on any failure.
Standard library only: it runs in the service image, which has no test dependencies.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request


def one_request(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status < 500, str(answer.status)
    except urllib.error.HTTPError as error:
        return error.code < 500, str(error.code)
    except OSError as error:
        return False, type(error).__name__


def summarize(outcomes: list[tuple[bool, str]]) -> dict[str, object]:
    failures: dict[str, int] = {}
    for ok, detail in outcomes:
        if not ok:
            failures[detail] = failures.get(detail, 0) + 1
    return {"requests": len(outcomes), "failed": sum(failures.values()), "failures": failures}


def run(url: str, seconds: float, concurrency: int) -> dict[str, object]:
    outcomes: list[tuple[bool, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            result = one_request(url)
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarize(outcomes)


if __name__ == "__main__":
    summary = run(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(summary), flush=True)
    sys.exit(0 if summary["failed"] == 0 and summary["requests"] else 1)
