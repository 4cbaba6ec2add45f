"""The peer side of Tools/bench: the Python `eventsourcing` library (PyPI) with its SQLite store,
running the workload `cairn bench aggregates` runs — N customer aggregates of 5 events, appended
one aggregate at a time (each save is one durable SQLite transaction), replayed (every stored
event read in order and turned back into a domain event), and loaded by id (the repository
rebuilding each aggregate from its events). Prints one JSON object."""

import json
import os
import platform
import sys
import tempfile
import time

AGGREGATES = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000

directory = tempfile.mkdtemp(prefix="cairn-peer-")
os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
os.environ["SQLITE_DBNAME"] = os.path.join(directory, "events.sqlite")

from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402


class Customer(Aggregate):
    @event("Registered")
    def __init__(self, name, email):
        self.name = name
        self.email = email
        self.tags = []
        self.owner = None

    @event("EmailChanged")
    def change_email(self, email):
        self.email = email

    @event("Tagged")
    def tag(self, tag):
        self.tags.append(tag)

    @event("OwnerChanged")
    def change_owner(self, owner):
        self.owner = owner


class CRM(Application):
    pass


def main():
    app = CRM()
    ids = []
    start = time.perf_counter()
    for index in range(AGGREGATES):
        customer = Customer(name=f"Customer {index}", email=f"customer{index}@example.org")
        customer.change_email(f"c{index}@example.com")
        customer.tag("vip")
        customer.tag("newsletter")
        customer.change_owner(f"user-{index % 50}")
        app.save(customer)
        ids.append(customer.id)
    append = AGGREGATES * 5 / (time.perf_counter() - start)

    start = time.perf_counter()
    replayed = 0
    next_id = 1
    while True:
        notifications = app.recorder.select_notifications(start=next_id, limit=4096)
        if not notifications:
            break
        for notification in notifications:
            app.mapper.to_domain_event(notification)
            replayed += 1
        next_id = notifications[-1].id + 1
    replay = replayed / (time.perf_counter() - start)

    start = time.perf_counter()
    for aggregate_id in ids:
        customer = app.repository.get(aggregate_id)
        assert customer.owner is not None
    load = AGGREGATES / (time.perf_counter() - start)

    from importlib.metadata import version

    print(json.dumps({
        "system": f"python eventsourcing {version('eventsourcing')} (SQLite)",
        "python": platform.python_version(),
        "aggregates": AGGREGATES,
        "replayed": replayed,
        "append_events_per_s": round(append, 1),
        "replay_events_per_s": round(replay, 1),
        "load_aggregates_per_s": round(load, 1),
    }))


if __name__ == "__main__":
    main()
