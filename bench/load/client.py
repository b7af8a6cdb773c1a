"""The load generator: client processes, each a signed-in user replaying the mix until the
deadline, in a closed loop (the next request as soon as the previous one was answered) or, with
an arrival rate, open (each request sent when it is due, whether or not earlier ones were
answered: many people working at once, not one person clicking faster).

The clients run on the same cores as the server, so each request should cost them as little as
possible: a plain ``http.client`` connection per request (gunicorn's sync workers close the
connection after each answer anyway), the session cookie kept by hand, the whole answer read.
With ``requests`` the eight clients took 0.13 of two cores under the mix (0.05 now) and
limited the bare-Flask phase to ~1,150 requests/s (~2,100 now)."""
import http.client
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: (name, share) of the mix.
MIX = [("search", 40), ("company page", 30), ("log intervention", 15),
       ("referral action", 10), ("dashboard", 5)]

#: Seconds before a request counts as failed.
TIMEOUT = 60

#: Requests of one client process that may be under way at once with an arrival rate (far
#: more than are ever outstanding below saturation; beyond that they wait, and count it).
OPEN_REQUESTS = 32


class Browser:
    """Just enough of a browser: cookies set by the app are sent back, redirects are not
    followed, every answer is read to its end."""

    def __init__(self, base: str, signed_in_as: "Browser | None" = None):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()  # requests of an open-loop client run in threads
        if signed_in_as is not None:  # another server of the same app: the same cookies
            self.cookies, self._lock = signed_in_as.cookies, signed_in_as._lock

    def request(self, method: str, path: str, params=None, data=None) -> "Answer":
        if params:
            path = f"{path}?{urlencode(params, doseq=True)}"
        headers = {"Accept": "text/html"}
        with self._lock:
            cookies = list(self.cookies.items())
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies)
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            for header in response.msg.get_all("Set-Cookie") or ():
                for name, morsel in SimpleCookie(header).items():
                    with self._lock:
                        if morsel["max-age"] == "0" or morsel.value == "":
                            self.cookies.pop(name, None)
                        else:
                            self.cookies[name] = morsel.value
            return Answer(response.status, content)
        finally:
            conn.close()

    def get(self, path: str, params=None) -> "Answer":
        return self.request("GET", path, params=params)

    def post(self, path: str, data: dict) -> "Answer":
        return self.request("POST", path, data=data)


class Answer:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class Session:
    def __init__(self, base: str, email: str, password: str, reports_base: str | None = None):
        self.http = Browser(base)
        #: Where dashboards go: a server of their own (``--report-workers``) or the same.
        self.reports = Browser(reports_base, signed_in_as=self.http) if reports_base \
            else self.http
        page = self.http.get("/login")
        token = _CSRF.search(page.text).group(1)
        answer = self.http.post("/login", {"email": email, "password": password,
                                           "csrf_token": token})
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in of {email} failed: {answer.status_code}")
        self.token = None

    def csrf(self, company_id: int) -> str:
        if self.token is None:
            page = self.http.get(f"/companies/{company_id}")
            self.token = _CSRF.search(page.text).group(1)
        return self.token


def timed(results, name, call, since: float | None = None):
    """Make the request and add ``(name, status, ms, began)`` to ``results``; its time counts
    from ``since`` (the moment it was due, with an arrival rate) when that is earlier than now:
    a request sent late because the one before took long has waited that long too. ``began``
    is that moment on the wall clock (:func:`time.time`, the same in every client process)."""
    started = time.perf_counter()
    if since is not None:
        started = min(started, since)
    try:
        status = call().status_code
    except (OSError, http.client.HTTPException) as exc:
        status = f"error: {type(exc).__name__}"
    ms = (time.perf_counter() - started) * 1000
    # (the wall clock, comparable between client processes: when the request began)
    results.append((name, status, ms, time.time() - ms / 1000))
    return status


def run_mix(args) -> list:
    """One client process: ``args`` = (base, email, password, plan, seconds, seed).

    Without ``plan["rate"]`` a closed loop: the next request as soon as the previous one was
    answered. With it (requests/s of this client), an open loop: requests are due at random
    moments (Poisson arrivals at that rate), each is sent when due by a thread of its own
    (up to :data:`OPEN_REQUESTS` at once), and its time counts from when it was due. (One
    request after the other would hold each due request behind the client's own slow one: a
    queue in the load generator, not in the server.)"""
    base, email, password, plan, seconds, seed = args
    rate = plan.get("rate") or 0
    rng = random.Random(seed)
    session = Session(base, email, password, plan.get("reports_base"))
    session.csrf(plan["companies"][0])
    started = time.time()
    deadline = started + seconds
    results: list = []
    inbox = list(plan["inbox"])
    today = time.strftime("%Y-%m-%d")
    if not rate:
        while time.time() < deadline:
            kind, call = next_request(rng, plan, session, inbox, today)
            timed(results, kind, call)
        return results, started
    due = time.perf_counter()
    with ThreadPoolExecutor(OPEN_REQUESTS) as pool:
        while time.time() < deadline:
            due += rng.expovariate(rate)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            kind, call = next_request(rng, plan, session, inbox, today)
            pool.submit(timed, results, kind, call, due)
    return results, started


def next_request(rng, plan: dict, session: Session, inbox: list, today: str):
    """The next request of the mix: ``(name, call)``, chosen here (one random generator, in
    the client's own thread), made by ``call()``."""
    names, weights = zip(*MIX)
    kind = rng.choices(names, weights)[0]
    http = session.http
    if kind == "search":
        q = rng.choice(plan["queries"])
        return kind, lambda: http.get("/", {"q": q})
    if kind == "company page":
        cid = rng.choice(plan["companies"])
        return kind, lambda: http.get(f"/companies/{cid}")
    if kind == "log intervention":
        cid = rng.choice(plan["companies"])
        token = session.csrf(cid)
        return kind, lambda: http.post(
            f"/companies/{cid}/interventions/new",
            {"csrf_token": token, "kind": "telefoon", "occurred_on": today,
             "bottlenecks": ["kunnen"], "summary": "Belafspraak over de volgende stap"})
    if kind == "referral action":
        cid = rng.choice(plan["companies"])
        token = session.csrf(cid)
        if inbox and rng.random() < 0.5:
            rid = inbox.pop()
            return kind, lambda: http.post(f"/referrals/{rid}/accept", {"csrf_token": token})
        to = rng.choice(plan["other_orgs"])
        return kind, lambda: http.post(
            f"/companies/{cid}/refer",
            {"csrf_token": token, "to_organisation_id": str(to),
             "question": "Kunt u helpen met een webshopkoppeling?",
             "entrepreneur_agrees": "y"})
    return kind, lambda: session.reports.get(plan["dashboard"])


def run_one(args) -> list:
    """One client process hammering a single URL: ``args`` = (base, email, password, name,
    paths, seconds, seed)."""
    base, email, password, name, paths, seconds, seed = args
    rng = random.Random(seed)
    http = Session(base, email, password).http if email else Browser(base)
    for path in paths:  # warm-up, not measured: every page once (fills the held timelines)
        http.get(path)
    started = time.time()
    deadline = started + seconds
    results: list = []
    while time.time() < deadline:
        path = rng.choice(paths)
        timed(results, name, lambda: http.get(path))
    return results, started
