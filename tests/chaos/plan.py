#!/usr/bin/env python3
"""plan.py — the chaos harness's seeded fault schedule (tests/chaos/chaos.sh reads it).

    plan.py SEED ROUND HOSTS   ->  shell assignments for that round, one per line

Each round depends on (SEED, ROUND) alone, so that any round can be replayed by itself
(`chaos.sh --seed S --round K`): its fault kind is the round's place in a seeded permutation
of every kind (each block of len(KINDS) rounds runs every kind once), its parameters come
from a generator seeded with "SEED/ROUND". Python's Mersenne Twister and random.Random(str)
give the same numbers on every Python 3 version. Standard library only.
"""
import random
import sys

KINDS = ["kill", "stop", "link", "netem", "partition", "flap", "hup", "churn", "double"]
# Faults that can run together with another one ("two of these at once"). The SIGSTOP of
# a double round is the simple one (the master, then SIGCONT), not the cascade.
PAIRABLE = ["kill", "stop", "link", "netem", "partition", "flap", "hup", "churn"]


def kind_of(seed: int, rnd: int) -> str:
    order = list(KINDS)
    random.Random(seed).shuffle(order)
    return order[rnd % len(order)]


def fault_params(rng: random.Random, kind: str, hosts: int, prefix: str) -> dict:
    """One fault's parameters. Hosts are 1..hosts; host 1 has the top priority."""
    p = {}
    if kind == "kill":
        p["down_ms"] = rng.randrange(0, 1500, 50)  # how long it stays dead once failed over
    elif kind == "stop":
        p["mult1"] = round(rng.uniform(1.0, 5.0), 2)  # × Master_Down_Interval
        p["mult2"] = round(rng.uniform(1.0, 5.0), 2)
    elif kind == "link":
        p["how"] = rng.choice(["admin", "carrier"])
        p["hold_ms"] = rng.randrange(300, 2500, 50)
    elif kind == "netem":
        p["scope"] = rng.choice(["one", "all"])
        p["host"] = rng.randint(1, hosts)
        p["hold_ms"] = rng.randrange(1500, 4000, 100)
    elif kind == "partition":
        members = list(range(1, hosts + 1))
        rng.shuffle(members)
        cut = rng.randint(1, hosts - 1)
        p["group_b"] = ",".join(str(h) for h in sorted(members[:cut]))
        p["client_b"] = rng.choice([0, 1])
        p["hold_ms"] = rng.randrange(500, 3000, 50)
    elif kind == "flap":
        p["period_ms"] = rng.randrange(50, 400, 10)  # the check file toggles this often
        p["hold_ms"] = rng.randrange(1000, 3000, 100)
        p["host"] = rng.choice([1, 1, rng.randint(1, hosts)])
    elif kind == "hup":
        p["count"] = 50
    elif kind == "churn":
        steps = []
        for _ in range(rng.randint(4, 12)):
            host = rng.randint(1, hosts)
            peers = [h for h in range(1, hosts + 1) if rng.random() < 0.6]
            steps.append(f"{host}:{'.'.join(str(h) for h in peers)}")
        p["steps"] = " ".join(steps)
        p["step_ms"] = rng.randrange(50, 400, 10)
    return {prefix + k: v for k, v in p.items()}


def plan(seed: int, rnd: int, hosts: int) -> dict:
    rng = random.Random(f"{seed}/{rnd}")
    kind = kind_of(seed, rnd)
    out = {"KIND": kind}
    if kind == "double":
        a, b = rng.sample(PAIRABLE, 2)
        out["KIND_A"], out["KIND_B"] = a, b
        out.update(fault_params(rng, a, hosts, "A_"))
        out.update(fault_params(rng, b, hosts, "B_"))
    else:
        out.update(fault_params(rng, kind, hosts, "P_"))
    return out


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: plan.py SEED ROUND HOSTS", file=sys.stderr)
        return 2
    seed, rnd, hosts = (int(a) for a in sys.argv[1:])
    for key, value in plan(seed, rnd, hosts).items():
        print(f"{key}='{value}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
