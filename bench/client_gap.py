#!/usr/bin/env python3
"""client_gap.py — the table of bench/client_gap.sh: what a client of the VIP sees, beside the
advert blackout on the wire in the same case. Standard library only; the pcap reader and the
wire figures are analyze.py's.

Input: the manifest ("client DAEMON ROUND PCAP EVENTS PROBELOG" per line), the run's meta file.
Client figures (client_probe.py logs every answer with CLOCK_REALTIME, the capture's clock):
  client gap     the longest interval between two consecutive answers (echo replies, or
                 completed connects) that reaches into the case's window. With one probe every
                 P ms it is the outage plus up to 2 P of probe spacing (the last answer comes up
                 to P before the outage begins, the first after it up to P after it ends).
  after GARP     first answer - the new master's first gratuitous ARP: how long the client
                 needs once the takeover is on the wire (ARP cache, VIP on the interface,
                 listener); at most about P when nothing else is in the way.
  outage         (rolling restart) the sum of every gap over 2.5 P in the window.
Wire figures (analyze.py): SIGKILL and link down: first advert of the new master - last advert
of the old one; SIGTERM and the master's restart in the rolling case: first advert of the new
master - the old master's priority-0 advert.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze  # noqa: E402

NODE1 = analyze.HOST_IP[1]
SKEW_100 = analyze.skew_time(100, 100)
CASES = ("sigkill", "sigkill_only", "sigterm", "linkdown")


def read_probe(path):
    """{kind: sorted [t_ns]} for the answers ("icmp", "tcp") and the misses."""
    out = {"icmp": [], "tcp": [], "sent": [], "tcpx": [], "tcpt": []}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] in out:
                out[parts[0]].append(int(parts[1]))
    for v in out.values():
        v.sort()
    return out


def gaps_in(times, t0, t1):
    """[(start, end)] of consecutive answers whose interval ends in (t0, t1]: a gap belongs to
    the window in which the answers came back (it may start a little before t0)."""
    return [(a, b) for a, b in zip(times, times[1:]) if t0 < b <= t1]


def longest_gap(times, t0, t1):
    g = gaps_in(times, t0, t1)
    return analyze.ms(max(b - a for a, b in g)) if g else None


def outage(times, t0, t1, period_ms):
    return analyze.ms(sum(b - a for a, b in gaps_in(times, t0, t1) if b - a > 2.5 * period_ms * 1e6))


def after(times, t):
    later = [x for x in times if x > t]
    return analyze.ms(later[0] - t) if later else None


def new_master_garp(packets, t):
    g = [p["ts"] for p in analyze.garps(packets, not_from=NODE1) if p["ts"] > t]
    return g[0] if g else None


def window(events, name, end):
    return analyze.first(events, name)[0], analyze.first(events, end)[0]


def client_figures(probe, t0, t1, garp, period_ms):
    fig = {}
    for kind in ("icmp", "tcp"):
        fig[f"gap_{kind}_ms"] = longest_gap(probe[kind], t0, t1)
        if garp is not None:
            fig[f"after_garp_{kind}_ms"] = after(probe[kind], garp)
    fig["refused"] = sum(1 for x in probe["tcpx"] if t0 <= x <= t1)
    return fig


def analyze_round(pcap, evpath, plog, period_ms):
    packets = analyze.load_packets(pcap)
    events = analyze.read_events(evpath)
    probe = read_probe(plog)
    out = {}
    for case in CASES:
        t0, t1 = window(events, case, case + "_end")
        if t0 is None or t1 is None:
            continue
        if case == "sigterm":
            wire = analyze.handover_after(packets, t0, NODE1)
            fig = {"wire_ms": wire["handover_ms"]}
        else:
            wire = analyze.failover_after(packets, t0, NODE1)
            fig = {"wire_ms": wire.get("blackout_ms") or wire.get("blackout_split_ms"),
                   "takeover_ms": wire.get("takeover_ms") or wire.get("takeover_split_ms")}
            if wire.get("split_advert"):
                fig["split"] = True
        fig.update(client_figures(probe, t0, t1, new_master_garp(packets, t0), period_ms))
        out[case] = fig
    # Node 1 back (relaunched, or its link up again): it preempts.
    backs = events.get("back", [])
    ends = events.get("back_end", [])
    for (b0, v0), (b1, _) in zip(backs, ends):
        name = (v0[-1] if len(v0) > 1 else "node") + "_back"
        out[name] = {"gap_icmp_ms": longest_gap(probe["icmp"], b0, b1),
                     "gap_tcp_ms": longest_gap(probe["tcp"], b0, b1)}
    r0, r1 = window(events, "rolling", "rolling_end")
    restarts = [t for t, _ in events.get("restart", [])]
    if r0 is not None and r1 is not None and restarts:
        m1 = restarts[1] if len(restarts) > 1 else r1
        wire = analyze.handover_after(packets, restarts[0], NODE1)
        garp = new_master_garp(packets, restarts[0])
        out["rolling"] = {
            "wire_ms": wire["handover_ms"],
            "after_garp_icmp_ms": after(probe["icmp"], garp) if garp else None,
            "after_garp_tcp_ms": after(probe["tcp"], garp) if garp else None,
            "outage_icmp_ms": outage(probe["icmp"], r0, r1, period_ms),
            "outage_tcp_ms": outage(probe["tcp"], r0, r1, period_ms),
            "master_outage_icmp_ms": outage(probe["icmp"], restarts[0], m1, period_ms),
            "master_outage_tcp_ms": outage(probe["tcp"], restarts[0], m1, period_ms),
            "gap_icmp_ms": longest_gap(probe["icmp"], r0, r1),
            "gap_tcp_ms": longest_gap(probe["tcp"], r0, r1),
            "backup_outage_ms": max(outage(probe[k], m1, r1, period_ms) for k in ("icmp", "tcp")),
        }
    loads = events.get("load", [])
    out["load"] = float(loads[0][1][-1]) if loads else None
    return out


def cell(values):
    v = [x for x in values if x is not None]
    if not v:
        return "—"
    return f"{statistics.median(v):.1f} [{min(v):.1f}..{max(v):.1f}]"


def diff(fig, kind):
    g, w = fig.get(f"gap_{kind}_ms"), fig.get("wire_ms")
    return None if g is None or w is None else g - w


def worst(fig, key):
    vals = [fig.get(f"{key}_{k}_ms") for k in ("icmp", "tcp")]
    vals = [v for v in vals if v is not None]
    return max(vals) if vals else None


ROWS = [
    ("sigkill", "advert blackout, wire (ms)", lambda f: f.get("wire_ms")),
    ("sigkill", "event -> new master's first GARP, wire (ms)", lambda f: f.get("takeover_ms")),
    ("sigkill", "client gap ICMP (ms)", lambda f: f.get("gap_icmp_ms")),
    ("sigkill", "client gap TCP (ms)", lambda f: f.get("gap_tcp_ms")),
    ("sigkill", "client gap - blackout, worse of the two (ms)",
     lambda f: max(x for x in (diff(f, "icmp"), diff(f, "tcp")) if x is not None)),
    ("sigkill", "first answer after the new master's GARP (ms)", lambda f: worst(f, "after_garp")),
    ("sigkill_only", "advert blackout, wire (ms)", lambda f: f.get("wire_ms")),
    ("sigkill_only", "client gap, worse of ICMP and TCP (ms)", lambda f: worst(f, "gap")),
    ("sigterm", "handover, wire: priority 0 -> new advert (ms)", lambda f: f.get("wire_ms")),
    ("sigterm", "client gap ICMP (ms)", lambda f: f.get("gap_icmp_ms")),
    ("sigterm", "client gap TCP (ms)", lambda f: f.get("gap_tcp_ms")),
    ("sigterm", "client gap - handover, worse of the two (ms)",
     lambda f: max(x for x in (diff(f, "icmp"), diff(f, "tcp")) if x is not None)),
    ("sigterm", "first answer after the new master's GARP (ms)", lambda f: worst(f, "after_garp")),
    ("linkdown", "advert blackout, wire (ms)", lambda f: f.get("wire_ms")),
    ("linkdown", "event -> new master's first GARP, wire (ms)", lambda f: f.get("takeover_ms")),
    ("linkdown", "client gap ICMP (ms)", lambda f: f.get("gap_icmp_ms")),
    ("linkdown", "client gap TCP (ms)", lambda f: f.get("gap_tcp_ms")),
    ("linkdown", "client gap - blackout, worse of the two (ms)",
     lambda f: max(x for x in (diff(f, "icmp"), diff(f, "tcp")) if x is not None)),
    ("linkdown", "first answer after the new master's GARP (ms)", lambda f: worst(f, "after_garp")),
    ("sigkill_back", "node 1 relaunched, preempts: client gap, worse (ms)", lambda f: worst(f, "gap")),
    ("sigkill_only_back", "relaunched on its old VIP, preempts: client gap, worse (ms)",
     lambda f: worst(f, "gap")),
    ("sigterm_back", "node 1 relaunched, preempts: client gap, worse (ms)", lambda f: worst(f, "gap")),
    ("linkdown_back", "node 1's link up, preempts: client gap, worse (ms)", lambda f: worst(f, "gap")),
    ("rolling", "master's restart: handover, wire (ms)", lambda f: f.get("wire_ms")),
    ("rolling", "master's restart: client outage ICMP (ms)", lambda f: f.get("master_outage_icmp_ms")),
    ("rolling", "master's restart: client outage TCP (ms)", lambda f: f.get("master_outage_tcp_ms")),
    ("rolling", "master's restart: first answer after the new master's GARP (ms)",
     lambda f: worst(f, "after_garp")),
    ("rolling", "backups' restarts: client outage, worse (ms)", lambda f: f.get("backup_outage_ms")),
    ("rolling", "whole rolling restart: client outage ICMP (ms)", lambda f: f.get("outage_icmp_ms")),
    ("rolling", "whole rolling restart: client outage TCP (ms)", lambda f: f.get("outage_tcp_ms")),
    ("rolling", "whole rolling restart: longest gap, worse (ms)", lambda f: worst(f, "gap")),
]


def values(rounds, kind, case, fn):
    out = []
    for r in rounds[kind]:
        f = r.get(case)
        if f is None:
            continue
        try:
            out.append(fn(f))
        except ValueError:
            out.append(None)
    return out


def print_table(rounds, period_ms):
    n = {k: len(v) for k, v in rounds.items()}
    print(f"| case | figure | keepvip ({n.get('keepvip', 0)} rounds) "
          f"| keepalived ({n.get('keepalived', 0)} rounds) |")
    print("| --- | --- | ---: | ---: |")
    for case, label, fn in ROWS:
        kv = cell(values(rounds, "keepvip", case, fn))
        ka = cell(values(rounds, "keepalived", case, fn))
        print(f"| {case} | {label} | {kv} | {ka} |")
    print()
    print(f"Cells: median [min..max]. Probe every {period_ms:g} ms (ICMP echo + TCP connect);")
    print("an answer is an echo reply or a completed connect (a refused connect is a miss).")


def verdict(worst_excess, allowed, period_ms):
    """met / missed, or undecidable when the excess fits in the 2 P the probe spacing adds."""
    if worst_excess <= allowed:
        return "met"
    if worst_excess <= allowed + 2 * period_ms:
        return (f"not decided at {period_ms:g} ms probes (over by no more than the "
                f"{2 * period_ms:g} ms the probe spacing can add)")
    return "missed"


def goals(rounds, period_ms):
    print()
    print("Goals (keepvip; the worse of ICMP and TCP, worst round):")
    for case, what in (("sigkill", "blackout"), ("sigterm", "handover"), ("linkdown", "blackout")):
        d = [x for r in rounds.get("keepvip", []) if case in r
             for x in (diff(r[case], "icmp"), diff(r[case], "tcp")) if x is not None]
        if d:
            print(f"  {case}: client gap - {what} <= 5 ms: {verdict(max(d), 5, period_ms)} "
                  f"(median {statistics.median(d):+.1f}, worst {max(d):+.1f} ms)")
    g = [worst(r[c], "after_garp") for r in rounds.get("keepvip", [])
         for c in ("sigkill", "sigterm", "linkdown", "rolling") if c in r]
    g = [x for x in g if x is not None]
    if g:
        print(f"  the client behind the wire: first answer after the new master's first GARP, "
              f"every case: median {statistics.median(g):.1f}, worst {max(g):.1f} ms "
              f"(probe period {period_ms:g} ms)")
    m = [x for r in rounds.get("keepvip", []) if "rolling" in r
         for x in (r["rolling"]["outage_icmp_ms"], r["rolling"]["outage_tcp_ms"]) if x is not None]
    if m:
        bound = SKEW_100 + 5
        print(f"  rolling restart (one master restart): client outage <= Skew_Time(100) + 5 = "
              f"{bound:.1f} ms: {verdict(max(m), bound, period_ms)} "
              f"(median {statistics.median(m):.1f}, worst {max(m):.1f} ms)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--meta")
    ap.add_argument("--period-ms", type=float, default=10)
    args = ap.parse_args()
    rounds = {}
    detail = []
    with open(args.manifest) as f:
        for line in f:
            part, kind, r, pcap, evf, plog = line.rstrip("\n").split("\t")
            res = analyze_round(pcap, evf, plog, args.period_ms)
            rounds.setdefault(kind, []).append(res)
            detail.append((kind, r, res))
    if args.meta:
        with open(args.meta) as f:
            for line in f:
                print(f"# {line.rstrip()}")
    print()
    print_table(rounds, args.period_ms)
    goals(rounds, args.period_ms)
    print()
    print("Per round (ms; client gap ICMP/TCP; wire):")
    for kind, r, res in detail:
        parts = []
        for case in CASES:
            f = res.get(case, {})
            parts.append(f"{case} {fmt(f.get('gap_icmp_ms'))}/{fmt(f.get('gap_tcp_ms'))}"
                         f" wire {fmt(f.get('wire_ms'))}{' split' if f.get('split') else ''}")
        ro = res.get("rolling", {})
        parts.append(f"rolling {fmt(ro.get('outage_icmp_ms'))}/{fmt(ro.get('outage_tcp_ms'))}")
        print(f"  {kind:10} r{r} load {res.get('load')}: " + "; ".join(parts))
    return 0


def fmt(v):
    return "—" if v is None else f"{v:.1f}"


if __name__ == "__main__":
    sys.exit(main())
