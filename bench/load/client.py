"""The load generator: client processes, each a signed-in user replaying the mix in a closed
loop (next request as soon as the previous answered) until the deadline."""
import random
import re
import time

import requests

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: (name, share) of the mix.
MIX = [("search", 40), ("company page", 30), ("log intervention", 15),
       ("referral action", 10), ("dashboard", 5)]


class Session:
    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.http = requests.Session()
        page = self.http.get(base + "/login", timeout=60)
        token = _CSRF.search(page.text).group(1)
        answer = self.http.post(base + "/login", allow_redirects=False, timeout=60,
                                data={"email": email, "password": password,
                                      "csrf_token": token})
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in of {email} failed: {answer.status_code}")
        self.token = None

    def csrf(self, company_id: int) -> str:
        if self.token is None:
            page = self.http.get(f"{self.base}/companies/{company_id}", timeout=60)
            self.token = _CSRF.search(page.text).group(1)
        return self.token


def timed(results, name, call):
    started = time.perf_counter()
    try:
        response = call()
        status = response.status_code
    except requests.RequestException as exc:
        status = f"error: {type(exc).__name__}"
    results.append((name, status, (time.perf_counter() - started) * 1000))
    return status


def run_mix(args) -> list:
    """One client process: ``args`` = (base, email, password, plan, seconds, seed)."""
    base, email, password, plan, seconds, seed = args
    rng = random.Random(seed)
    session = Session(base, email, password)
    session.csrf(plan["companies"][0])
    started = time.time()
    deadline = started + seconds
    results: list = []
    names, weights = zip(*MIX)
    inbox = list(plan["inbox"])
    today = time.strftime("%Y-%m-%d")
    while time.time() < deadline:
        kind = rng.choices(names, weights)[0]
        http = session.http
        if kind == "search":
            q = rng.choice(plan["queries"])
            timed(results, kind, lambda: http.get(base + "/", params={"q": q}, timeout=60))
        elif kind == "company page":
            cid = rng.choice(plan["companies"])
            timed(results, kind, lambda: http.get(f"{base}/companies/{cid}", timeout=60))
        elif kind == "log intervention":
            cid = rng.choice(plan["companies"])
            token = session.csrf(cid)
            timed(results, kind, lambda: http.post(
                f"{base}/companies/{cid}/interventions/new", allow_redirects=False,
                timeout=60, data={"csrf_token": token, "kind": "telefoon",
                                  "occurred_on": today, "bottlenecks": ["kunnen"],
                                  "summary": "Belafspraak over de volgende stap"}))
        elif kind == "referral action":
            cid = rng.choice(plan["companies"])
            token = session.csrf(cid)
            if inbox and rng.random() < 0.5:
                rid = inbox.pop()
                timed(results, kind, lambda: http.post(
                    f"{base}/referrals/{rid}/accept", allow_redirects=False, timeout=60,
                    data={"csrf_token": token}))
            else:
                to = rng.choice(plan["other_orgs"])
                timed(results, kind, lambda: http.post(
                    f"{base}/companies/{cid}/refer", allow_redirects=False, timeout=60,
                    data={"csrf_token": token, "to_organisation_id": str(to),
                          "question": "Kunt u helpen met een webshopkoppeling?",
                          "entrepreneur_agrees": "y"}))
        else:
            timed(results, kind, lambda: http.get(base + plan["dashboard"], timeout=60))
    return results, started


def run_one(args) -> list:
    """One client process hammering a single URL: ``args`` = (base, email, password, name,
    paths, seconds, seed)."""
    base, email, password, name, paths, seconds, seed = args
    rng = random.Random(seed)
    http = Session(base, email, password).http if email else requests.Session()
    for path in paths:  # warm-up, not measured: every page once (fills the held timelines)
        http.get(base + path, timeout=60)
    started = time.time()
    deadline = started + seconds
    results: list = []
    while time.time() < deadline:
        path = rng.choice(paths)
        timed(results, name, lambda: http.get(base + path, timeout=60))
    return results, started
