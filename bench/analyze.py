#!/usr/bin/env python3
"""analyze.py — turns the bench's captures and event logs into figures, a table, JSON and an SVG.

Input: the manifest run.sh writes (part, daemon, round, pcap, events per line). Every time is
CLOCK_REALTIME: packet timestamps from the capture on the lab's bridge, and the instants run.sh
stamped right before launching or signalling a daemon ("NAME T_US VALUES..." per line).

Figures (RFC 5798 §6.1 names):
  Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time
  Skew_Time            = (256 - Priority) * Advertisement_Interval / 256
  advert blackout  first advert of the new master - last advert of the killed master (wire)
  takeover         first gratuitous ARP for the VIP - the SIGKILL
  handover         first advert of the new master - the killed master's priority-0 advert
  start            first gratuitous ARP - launch of the first node
Standard library only.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import struct
import subprocess
import sys

VIP = "10.99.0.100"
HOST_IP = {1: "10.99.0.11", 2: "10.99.0.12", 3: "10.99.0.13"}
IP_HOST = {v: k for k, v in HOST_IP.items()}
PRIORITY = {1: 150, 2: 100, 3: 50}


def skew_time(advert_ms, priority):
    """RFC 5798 §6.1 Skew_Time."""
    return (256 - priority) * advert_ms / 256


def master_down_interval(advert_ms, priority):
    """RFC 5798 §6.1 Master_Down_Interval."""
    return 3 * advert_ms + skew_time(advert_ms, priority)


# ------------------------------------------------------------------------------------------
# pcap


def read_pcap(path):
    """Yields (timestamp in ns, frame bytes) from a classic pcap file (µs or ns stamps)."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        else:
            magic = struct.unpack(">I", head[:4])[0]
            endian = ">"
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise ValueError(f"{path}: not a pcap file (magic {head[:4].hex()})")
        scale = 1 if magic == 0xA1B23C4D else 1000
        linktype = struct.unpack(endian + "I", head[20:24])[0]
        if linktype != 1:
            raise ValueError(f"{path}: link type {linktype}, expected Ethernet (1)")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec * 1_000_000_000 + frac * scale, data


def ip4(b):
    return ".".join(str(x) for x in b)


def decode(ts, frame):
    """One frame -> a dict (kind "vrrp" or "arp") or None for anything else."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    mac = frame[6:12].hex(":")
    body = frame[14:]
    if ethertype == 0x0800 and len(body) >= 20:
        ihl = (body[0] & 0x0F) * 4
        if body[9] != 112 or len(body) < ihl + 8:
            return None
        v = body[ihl:]
        return {"kind": "vrrp", "ts": ts, "mac": mac, "src": ip4(body[12:16]),
                "dst": ip4(body[16:20]), "ttl": body[8], "version": v[0] >> 4,
                "vrid": v[1], "priority": v[2],
                "advert_cs": ((v[4] & 0x0F) << 8) | v[5] if v[0] >> 4 == 3 else v[5] * 100}
    if ethertype == 0x0806 and len(body) >= 28:
        return {"kind": "arp", "ts": ts, "mac": mac, "op": struct.unpack("!H", body[6:8])[0],
                "spa": ip4(body[14:18]), "tpa": ip4(body[24:28])}
    return None


def load_packets(path):
    return [p for p in (decode(ts, fr) for ts, fr in read_pcap(path)) if p]


def read_events(path):
    """Event lines "NAME T_US VALUES..." -> {name: [(t_ns, [values...]), ...]}."""
    events = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            events.setdefault(parts[0], []).append((int(parts[1]) * 1000, parts[2:]))
    return events


# ------------------------------------------------------------------------------------------
# Wire measurements


def adverts(packets, src=None, vrid=None):
    """Adverts with priority > 0 (optionally from one source address / one VRID)."""
    return [p for p in packets if p["kind"] == "vrrp" and p["priority"] > 0
            and (src is None or p["src"] == src) and (vrid is None or p["vrid"] == vrid)]


def garps(packets, vip=VIP, not_from=None):
    """Gratuitous ARPs for vip; not_from: leave out those sent by the host with that address."""
    macs = {p["mac"] for p in packets if p["kind"] == "vrrp" and p["src"] == not_from}
    return [p for p in packets if p["kind"] == "arp" and p["spa"] == vip and p["tpa"] == vip
            and p["mac"] not in macs]


def ms(ns):
    return None if ns is None else ns / 1e6


def failover_after(packets, t_kill, old_src):
    """Blackout (wire) and takeover (GARP - kill) of a SIGKILL at t_kill, in ms."""
    after = [p for p in adverts(packets) if p["ts"] > t_kill and p["src"] != old_src]
    # The killed master's last advert before the new master's first one: an advert already in
    # flight when the signal was sent still counts as the old master's.
    end = after[0]["ts"] if after else t_kill
    before = [p["ts"] for p in adverts(packets, old_src) if p["ts"] <= end]
    garp = [p["ts"] for p in garps(packets, not_from=old_src) if p["ts"] > t_kill]
    # A crash sends no goodbye: a priority-0 advert from the killed master means the kill was
    # not a crash (the bench stops every process before killing it, so this should not occur).
    goodbye = [p for p in packets if p["kind"] == "vrrp" and p["src"] == old_src
               and p["priority"] == 0 and t_kill < p["ts"] <= t_kill + 1e9]
    out = {"blackout_ms": None, "takeover_ms": None, "new_master": None}
    if goodbye:
        out["invalid"] = "priority-0 advert from the killed master"
        return out
    if before and after:
        out["blackout_ms"] = ms(after[0]["ts"] - before[-1])
        # Unicast sends one copy of each advert per peer. A kill between two copies leaves
        # some backups one advert behind the others: the lowest priority may then time out
        # first (correctly, from what it saw) and be master until a higher one preempts. Such a
        # round measures the crash's timing, not the daemon: kept, but out of the medians.
        peers = {p["dst"] for p in adverts(packets, old_src)}
        last = {p["dst"] for p in adverts(packets, old_src)
                if before[-1] - 2e6 <= p["ts"] <= before[-1]}
        if last != peers:
            out["split_advert"] = sorted(peers - last)
            out["blackout_split_ms"] = out.pop("blackout_ms")
            out["blackout_ms"] = None
        out["new_master"] = IP_HOST.get(after[0]["src"], after[0]["src"])
        out["last_old_advert_ns"] = before[-1]
        out["first_new_advert_ns"] = after[0]["ts"]
    if garp:
        out["takeover_ms"] = ms(garp[0] - t_kill)
        if out.get("split_advert"):
            out["takeover_split_ms"] = out.pop("takeover_ms")
            out["takeover_ms"] = None
    return out


def handover_after(packets, t_term, old_src):
    """SIGTERM: first advert of the new master - the old master's priority-0 advert."""
    zero = [p["ts"] for p in packets if p["kind"] == "vrrp" and p["src"] == old_src
            and p["priority"] == 0 and p["ts"] > t_term]
    out = {"handover_ms": None, "term_takeover_ms": None, "priority0_seen": bool(zero)}
    if zero:
        after = [p["ts"] for p in adverts(packets) if p["ts"] > zero[0] and p["src"] != old_src]
        if after:
            out["handover_ms"] = ms(after[0] - zero[0])
    garp = [p["ts"] for p in garps(packets, not_from=old_src) if p["ts"] > t_term]
    if garp:
        out["term_takeover_ms"] = ms(garp[0] - t_term)
    return out


def memory(values):
    rss, pss, nproc = (int(x) for x in values[-3:])  # after the host number
    return {"rss_kb": rss, "pss_kb": pss, "processes": nproc}


def cpu(values):
    ns, ticks, wall_us = (int(x) for x in values[-3:])  # after the host number
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return {"cpu_ms": ns / 1e6, "utime_stime_ms": ticks * tick_ms, "window_s": wall_us / 1e6,
            "cpu_ms_per_30s": ns / 1e6 * 30e6 / wall_us if wall_us else None,
            "cpu_percent": 100 * ns / 1e3 / wall_us if wall_us else None}


def smaps_summary(paths):
    """/proc/PID/smaps dumps of every process of a node -> RSS, PSS, USS (private pages: not
    shared with any other process, so not moved by whatever else runs on the machine) in kB,
    and PSS split by what is mapped: anonymous memory, the daemon's binary, shared libraries."""
    out = {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0,
           "pss_by_kind_kb": {"anonymous": 0, "binary": 0, "libraries": 0}}
    for path in paths:
        kind = "anonymous"
        with open(path) as f:
            for line in f:
                head = line.split()
                if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                    name = head[5] if len(head) > 5 else ""
                    kind = ("libraries" if ".so" in name else
                            "anonymous" if not name.startswith("/") else "binary")
                elif head and head[0] in ("Rss:", "Pss:", "Private_Clean:", "Private_Dirty:"):
                    kb = int(head[1])
                    if head[0] == "Rss:":
                        out["rss_kb"] += kb
                    elif head[0] == "Pss:":
                        out["pss_kb"] += kb
                        out["pss_by_kind_kb"][kind] += kb
                    else:
                        out["uss_kb"] += kb
    return out


def first(events, name):
    return events[name][0] if name in events else (None, [])


def analyze_main_round(pcap, evpath):
    packets = load_packets(pcap)
    ev = read_events(evpath)
    t_launch, _ = first(ev, "launch")
    t_kill, _ = first(ev, "kill")
    t_term, _ = first(ev, "term")
    r = {}
    g = [p["ts"] for p in garps(packets) if t_launch and p["ts"] > t_launch]
    r["start_garp_ms"] = ms(g[0] - t_launch) if g else None
    r.update(failover_after(packets, t_kill, HOST_IP[1]) if t_kill else {})
    r.update(handover_after(packets, t_term, HOST_IP[1]) if t_term else {})
    if "mem_alone" in ev:
        r["memory_alone"] = memory(ev["mem_alone"][0][1])
        dumps = sorted(glob.glob(pcap[:-len(".pcap")] + "-h1-*.smaps"))
        if dumps:
            r["smaps_alone"] = smaps_summary(dumps)
    if "mem_served" in ev:
        r["memory_served"] = memory(ev["mem_served"][0][1])
    mems = ev.get("mem", [])
    if mems:
        r["memory_master"] = memory(mems[0][1])
    if len(mems) > 1:
        r["memory_backup"] = memory(mems[1][1])
    if "cpu" in ev:
        r["cpu_master"] = cpu(ev["cpu"][0][1])
    r["_packets"] = packets
    r["_events"] = ev
    return r


# ------------------------------------------------------------------------------------------
# Scale and floor


def gaps_by_vrid(packets, src, t0, t1):
    """Per VRID: the largest gap (ms) between consecutive adverts from src within [t0, t1]."""
    times = {}
    for p in adverts(packets, src):
        if t0 <= p["ts"] <= t1:
            times.setdefault(p["vrid"], []).append(p["ts"])
    out = {}
    for vrid, ts in times.items():
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        out[vrid] = {"adverts": len(ts), "max_gap_ms": ms(max(gaps)) if gaps else None,
                     "late_150": sum(1 for x in gaps if x > 150e6)}
    return out


def analyze_scale(pcap, evpath):
    packets = load_packets(pcap)
    ev = read_events(evpath)
    t0, _ = first(ev, "steady")
    t1, _ = first(ev, "steady_end")
    per = gaps_by_vrid(packets, HOST_IP[1], t0, t1)
    max_gaps = [v["max_gap_ms"] for v in per.values() if v["max_gap_ms"] is not None]
    mdi_backup = master_down_interval(100, 100)
    intruders = [p for p in adverts(packets, HOST_IP[2]) if t0 <= p["ts"] <= t1]
    cpus = ev.get("cpu", [])
    mems = ev.get("mem", [])
    return {
        "instances_held": int(first(ev, "held")[1][-1]) if "held" in ev else None,
        "vrids_advertised": len(per),
        "window_s": (t1 - t0) / 1e9,
        "max_gap_ms": max(max_gaps) if max_gaps else None,
        "median_of_max_gaps_ms": statistics.median(max_gaps) if max_gaps else None,
        "gaps_over_150ms": sum(v["late_150"] for v in per.values()),
        "vrids_with_gap_over_master_down": sum(1 for g in max_gaps if g > mdi_backup),
        "master_down_interval_backup_ms": mdi_backup,
        "backup_adverts_in_window": len(intruders),
        "cpu_master": cpu(cpus[0][1]) if cpus else None,
        "cpu_backup": cpu(cpus[1][1]) if len(cpus) > 1 else None,
        "memory_master": memory(mems[0][1]) if mems else None,
        "memory_backup": memory(mems[1][1]) if len(mems) > 1 else None,
    }


def master_changes(packets, t0, t1):
    """Transitions seen on the wire: how often the sender of the latest advert changes."""
    changes, current = [], None
    for p in adverts(packets):
        if not t0 <= p["ts"] <= t1:
            continue
        if current is not None and p["src"] != current:
            changes.append({"t_s": (p["ts"] - t0) / 1e9, "from": current, "to": p["src"]})
        current = p["src"]
    return changes


def analyze_floor(pcap, evpath):
    packets = load_packets(pcap)
    ev = read_events(evpath)
    t0, _ = first(ev, "steady")
    t1, _ = first(ev, "steady_end")
    mine = [p["ts"] for p in adverts(packets, HOST_IP[1]) if t0 <= p["ts"] <= t1]
    gaps = sorted(b - a for a, b in zip(mine, mine[1:]))
    changes = master_changes(packets, t0, t1)
    # One stall makes several flips (both backups take over, then the master preempts back):
    # flips less than a second apart are one episode.
    episodes = sum(1 for i, c in enumerate(changes)
                   if i == 0 or c["t_s"] - changes[i - 1]["t_s"] > 1)
    others = [p for p in adverts(packets) if t0 <= p["ts"] <= t1 and p["src"] != HOST_IP[1]]
    garp_in = [p for p in garps(packets) if t0 <= p["ts"] <= t1]
    kills = [failover_after(packets, t, HOST_IP[1]) for t, _ in ev.get("kill", [])]
    for k in kills:
        k.pop("last_old_advert_ns", None)
        k.pop("first_new_advert_ns", None)
    mems = ev.get("mem", [])
    mdi = master_down_interval(10, PRIORITY[2])
    return {
        "window_s": (t1 - t0) / 1e9,
        "master_adverts": len(mine),
        "spurious_transitions": len(changes),
        "spurious_episodes": episodes,
        "transitions": changes[:20],
        "adverts_from_backups": len(others),
        "garps_in_window": len(garp_in),
        "master_max_gap_ms": ms(gaps[-1]) if gaps else None,
        "master_gap_p999_ms": ms(gaps[int(len(gaps) * 0.999)]) if gaps else None,
        "master_down_interval_ms": mdi,
        "master_gaps_over_master_down": sum(1 for g in gaps if g > mdi * 1e6),
        "kills": kills,
        "blackout_ms": summary([k["blackout_ms"] for k in kills]),
        "takeover_ms": summary([k["takeover_ms"] for k in kills]),
        "memory_master": memory(mems[0][1]) if mems else None,
    }


# ------------------------------------------------------------------------------------------
# Summaries, table


def summary(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(vals), "median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "missing": len(values) - len(vals)}


ADV = 100
MDI_BACKUP = master_down_interval(ADV, PRIORITY[2])
FIGURES = [
    # key, label, path into a round, bound (ms) or None, goal text, goal check(kv, ka)
    ("blackout_ms", "SIGKILL advert blackout (ms)", ("blackout_ms",), MDI_BACKUP,
     f"<= 1.02 x MDI = {1.02 * MDI_BACKUP:.1f} and <= keepalived",
     lambda kv, ka: kv <= 1.02 * MDI_BACKUP and kv <= ka),
    ("takeover_ms", "SIGKILL -> first GARP (ms)", ("takeover_ms",), MDI_BACKUP,
     f"<= MDI = {MDI_BACKUP:.1f}", lambda kv, ka: kv <= MDI_BACKUP),
    ("handover_ms", "SIGTERM handover (ms)", ("handover_ms",), skew_time(ADV, PRIORITY[2]),
     f"<= Skew_Time + 5 = {skew_time(ADV, PRIORITY[2]) + 5:.1f}",
     lambda kv, ka: kv <= skew_time(ADV, PRIORITY[2]) + 5),
    ("term_takeover_ms", "SIGTERM -> first GARP (ms)", ("term_takeover_ms",), None, "", None),
    ("start_garp_ms", "start -> first GARP (ms)", ("start_garp_ms",),
     master_down_interval(ADV, PRIORITY[1]),
     f"<= MDI + 20 = {master_down_interval(ADV, PRIORITY[1]) + 20:.1f}",
     lambda kv, ka: kv <= master_down_interval(ADV, PRIORITY[1]) + 20),
    ("rss_kb", "RSS of one node (kB)", ("memory_alone", "rss_kb"), None, "", None),
    ("pss_kb", "PSS of one node alone (kB)", ("memory_alone", "pss_kb"), None,
     "<= keepalived / 3", lambda kv, ka: kv <= ka / 3),
    ("pss_served_kb", "PSS after a /metrics GET (kB)", ("memory_served", "pss_kb"), None,
     "", None),
    ("uss_kb", "USS of one node alone (kB)", ("smaps_alone", "uss_kb"), None, "", None),
    ("pss_anon_kb", "  of PSS: anonymous (kB)", ("smaps_alone", "pss_by_kind_kb", "anonymous"),
     None, "", None),
    ("pss_lib_kb", "  of PSS: shared libs (kB)", ("smaps_alone", "pss_by_kind_kb", "libraries"),
     None, "", None),
    ("pss_bin_kb", "  of PSS: binary (kB)", ("smaps_alone", "pss_by_kind_kb", "binary"),
     None, "", None),
    ("pss3_kb", "PSS of node 1, 3 nodes up (kB)", ("memory_master", "pss_kb"), None, "", None),
    ("processes", "processes per node", ("memory_master", "processes"), None, "", None),
    ("cpu_ms_30s", "master CPU per 30 s (ms)", ("cpu_master", "cpu_ms_per_30s"), None, "", None),
]


def dig(d, path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def fmt(v, width=7):
    if v is None:
        return "-".rjust(width)
    return (f"{v:.1f}" if abs(v) < 10000 else f"{v:.0f}").rjust(width)


def main_summary(rounds):
    out = {}
    for key, label, path, bound, goal, check in FIGURES:
        row = {"label": label, "bound_ms": bound, "goal": goal}
        for kind in ("keepvip", "keepalived"):
            row[kind] = summary([dig(r, path) for r in rounds.get(kind, [])])
        kv, ka = row["keepvip"]["median"], row["keepalived"]["median"]
        row["ratio"] = kv / ka if kv is not None and ka else None
        row["goal_met"] = bool(check(kv, ka)) if check and kv is not None and ka is not None \
            else None
        if bound:
            for kind in ("keepvip", "keepalived"):
                m = row[kind]["median"]
                row[kind]["over_bound"] = m / bound if m is not None else None
        out[key] = row
    return out


def print_main_table(summ, n_rounds, rounds):
    print(f"\nkeepvip vs keepalived 2.2.7 — 3 nodes, VRRPv3 unicast, advert {ADV} ms, "
          f"priorities 150/100/50, {n_rounds} round(s); median [min..max]")
    head = (f"{'figure':30} {'RFC bound':>9} {'keepvip':>25} {'keepalived':>25} "
            f"{'kv/ka':>6}  goal")
    print(head)
    print("-" * len(head) + "-" * 20)
    for key, row in summ.items():
        cells = []
        for kind in ("keepvip", "keepalived"):
            s = row[kind]
            cells.append(f"{fmt(s['median'])} [{fmt(s['min'], 0)}..{fmt(s['max'], 0)}]")
        ratio = f"{row['ratio']:.3f}" if row["ratio"] is not None else "-"
        met = {True: "met", False: "MISSED", None: ""}[row["goal_met"]]
        goal = f"{row['goal']} {met}".strip()
        print(f"{row['label']:30} {fmt(row['bound_ms'], 9)} {cells[0]:>25} {cells[1]:>25} "
              f"{ratio:>6}  {goal}")
    for kind in ("keepvip", "keepalived"):
        for r in rounds.get(kind, []):
            if r.get("split_advert"):
                print(f"  {kind} round {r['round']}: killed between the two unicast copies of one "
                      f"advert ({', '.join(r['split_advert'])} missed the last one): blackout "
                      f"{r['blackout_split_ms']:.1f} ms to node {r['new_master']}, left out of "
                      f"the SIGKILL medians")
    for key in ("blackout_ms", "handover_ms", "start_garp_ms"):
        row = summ[key]
        if row["bound_ms"]:
            parts = [f"{k} {row[k]['over_bound']:.4f}" for k in ("keepvip", "keepalived")
                     if row[k].get("over_bound") is not None]
            print(f"  {row['label']}: median / RFC bound: {', '.join(parts)}")


def print_scale(scale):
    print("\nScale: one process, 255 instances (VRID 1..255) at 100 ms, a 255-instance backup "
          "beside it")
    print(f"{'':28} {'keepvip':>12} {'keepalived':>12}")
    rows = [("VIPs held by the master", ("instances_held",)),
            ("VRIDs advertised", ("vrids_advertised",)),
            ("max gap, any VRID (ms)", ("max_gap_ms",)),
            ("median of per-VRID max gap", ("median_of_max_gaps_ms",)),
            ("gaps over 150 ms", ("gaps_over_150ms",)),
            ("VRIDs with gap > MDI", ("vrids_with_gap_over_master_down",)),
            ("backup adverts (spurious)", ("backup_adverts_in_window",)),
            ("master CPU %", ("cpu_master", "cpu_percent")),
            ("master CPU ms per 30 s", ("cpu_master", "cpu_ms_per_30s")),
            ("backup CPU ms per 30 s", ("cpu_backup", "cpu_ms_per_30s")),
            ("master RSS (kB)", ("memory_master", "rss_kb")),
            ("master PSS (kB)", ("memory_master", "pss_kb"))]
    for label, path in rows:
        print(f"{label:28} {fmt(dig(scale.get('keepvip'), path), 12)} "
              f"{fmt(dig(scale.get('keepalived'), path), 12)}")


def print_floor(floor, minutes):
    print(f"\nFloor: 3 nodes, 10 ms adverts (v3 unicast), CPU hog on the last core, "
          f"{minutes} min steady, side by side; then SIGKILL failovers "
          f"(MDI {master_down_interval(10, PRIORITY[2]):.2f} ms)")
    print(f"{'':32} {'keepvip':>12} {'keepalived':>12}")
    rows = [("steady window (s)", ("window_s",)),
            ("spurious episodes", ("spurious_episodes",)),
            ("spurious master changes (wire)", ("spurious_transitions",)),
            ("adverts from backups", ("adverts_from_backups",)),
            ("GARPs in window", ("garps_in_window",)),
            ("master max advert gap (ms)", ("master_max_gap_ms",)),
            ("master gap p99.9 (ms)", ("master_gap_p999_ms",)),
            ("master gaps > MDI", ("master_gaps_over_master_down",)),
            ("SIGKILL failovers measured", ("blackout_ms", "n")),
            ("SIGKILL blackout median (ms)", ("blackout_ms", "median")),
            ("SIGKILL blackout min (ms)", ("blackout_ms", "min")),
            ("SIGKILL blackout max (ms)", ("blackout_ms", "max")),
            ("SIGKILL -> GARP median (ms)", ("takeover_ms", "median")),
            ("master PSS (kB)", ("memory_master", "pss_kb"))]
    for label, path in rows:
        print(f"{label:32} {fmt(dig(floor.get('keepvip'), path), 12)} "
              f"{fmt(dig(floor.get('keepalived'), path), 12)}")


RT_VARIANTS = ("keepvip", "keepvip+rt", "keepalived", "keepalived+rt")


def print_rt(rt, seconds, priority):
    mdi = master_down_interval(10, PRIORITY[2])
    print(f"\nReal-time: 3 nodes, 10 ms adverts (v3 unicast), a CPU hog on every core, "
          f"{seconds} s steady, four labs side by side; +rt = SCHED_RR priority {priority} and "
          f"locked memory (keepvip KEEPVIP_REALTIME_PRIORITY, keepalived vrrp_rt_priority + "
          f"vrrp_no_swap). MDI {mdi:.2f} ms")
    print(f"{'':32}" + "".join(f" {v:>14}" for v in RT_VARIANTS))
    rows = [("steady window (s)", ("window_s",)),
            ("master adverts", ("master_adverts",)),
            ("spurious master changes (wire)", ("spurious_transitions",)),
            ("spurious episodes", ("spurious_episodes",)),
            ("adverts from backups", ("adverts_from_backups",)),
            ("master max advert gap (ms)", ("master_max_gap_ms",)),
            ("master gap p99.9 (ms)", ("master_gap_p999_ms",)),
            ("master gaps > MDI", ("master_gaps_over_master_down",)),
            ("master PSS (kB)", ("memory_master", "pss_kb"))]
    for label, path in rows:
        print(f"{label:32}" + "".join(f" {fmt(dig(rt.get(v), path), 14)}" for v in RT_VARIANTS))


# ------------------------------------------------------------------------------------------
# SVG timeline of one failover


def svg_failover(panels, path):
    """panels: [(title, round)] — adverts per node and GARPs around the SIGKILL."""
    width, left, right = 980, 150, 30
    span_before, span_after = 500e6, 500e6
    row_h, panel_h = 26, 190
    height = 56 + panel_h * len(panels)
    scale_x = (width - left - right) / (span_before + span_after)
    colors = {1: "#1f77b4", 2: "#2ca02c", 3: "#9467bd"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="15" font-weight="bold">SIGKILL of the master '
           f'(priority 150): adverts on the wire, VRRPv3 unicast, {ADV} ms</text>',
           f'<text x="{left}" y="36" fill="#444">ticks: adverts sent by each node (two per '
           f'advert: one per unicast peer); dots: gratuitous ARPs; dashed: last advert of the '
           f'killed master + Master_Down_Interval</text>']
    for i, (title, r) in enumerate(panels):
        y0 = 46 + i * panel_h
        packets, ev = r["_packets"], r["_events"]
        t_kill = ev["kill"][0][0]

        def x(ts):
            return left + (ts - t_kill + span_before) * scale_x

        out.append(f'<text x="10" y="{y0 + 14}" font-weight="bold">{title}</text>')
        mac_host = {p["mac"]: IP_HOST[p["src"]] for p in packets
                    if p["kind"] == "vrrp" and p["src"] in IP_HOST}
        for h in (1, 2, 3):
            y = y0 + 30 + (h - 1) * row_h
            out.append(f'<text x="10" y="{y + 4}">node {h} (prio {PRIORITY[h]})</text>')
            out.append(f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" '
                       f'stroke="#ddd"/>')
            for p in packets:
                if p["kind"] != "vrrp" or IP_HOST.get(p["src"]) != h:
                    continue
                if abs(p["ts"] - t_kill) > span_before:
                    continue
                out.append(f'<line x1="{x(p["ts"]):.1f}" y1="{y - 8}" x2="{x(p["ts"]):.1f}" '
                           f'y2="{y + 8}" stroke="{colors[h]}" stroke-width="2"/>')
        y = y0 + 30 + 3 * row_h
        out.append(f'<text x="10" y="{y + 4}">gratuitous ARP</text>')
        out.append(f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#ddd"/>')
        for p in garps(packets):
            if -span_before <= p["ts"] - t_kill <= span_after:
                c = colors.get(mac_host.get(p["mac"]), "black")
                out.append(f'<circle cx="{x(p["ts"]):.1f}" cy="{y}" r="4" fill="{c}"/>')
        top, bottom = y0 + 18, y + 14
        out.append(f'<line x1="{x(t_kill):.1f}" y1="{top}" x2="{x(t_kill):.1f}" y2="{bottom}" '
                   f'stroke="red" stroke-width="2"/>')
        out.append(f'<text x="{x(t_kill) + 4:.1f}" y="{top + 8}" fill="red">SIGKILL</text>')
        a, b = r.get("last_old_advert_ns"), r.get("first_new_advert_ns")
        if a and b:
            yb = bottom + 14
            out.append(f'<line x1="{x(a):.1f}" y1="{yb}" x2="{x(b):.1f}" y2="{yb}" '
                       f'stroke="black"/>')
            out.append(f'<line x1="{x(a):.1f}" y1="{yb - 5}" x2="{x(a):.1f}" y2="{yb + 5}" '
                       f'stroke="black"/><line x1="{x(b):.1f}" y1="{yb - 5}" x2="{x(b):.1f}" '
                       f'y2="{yb + 5}" stroke="black"/>')
            bound = a + MDI_BACKUP * 1e6
            out.append(f'<line x1="{x(bound):.1f}" y1="{top}" x2="{x(bound):.1f}" '
                       f'y2="{bottom}" stroke="orange" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{(x(a) + x(b)) / 2:.1f}" y="{yb + 16}" text-anchor="middle">'
                       f'advert blackout {r["blackout_ms"]:.1f} ms (RFC bound '
                       f'{MDI_BACKUP:.1f} ms: dashed); kill to GARP '
                       f'{r["takeover_ms"]:.1f} ms</text>')
        for tick in range(-500, 501, 100):
            tx = x(t_kill + tick * 1e6)
            out.append(f'<text x="{tx:.1f}" y="{y0 + panel_h - 8}" text-anchor="middle" '
                       f'fill="#666">{tick:+d} ms</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ------------------------------------------------------------------------------------------


def binary_meta(manifest):
    """What run.sh recorded about the keepvip binary it ran (binary.txt beside the manifest)."""
    path = os.path.join(os.path.dirname(os.path.abspath(manifest)), "binary.txt")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return dict(line.rstrip("\n").split(" ", 1) for line in f if " " in line)


def meta():
    def run(cmd):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            return (done.stdout or done.stderr).strip()
        except (OSError, subprocess.SubprocessError):
            return None
    here = os.path.dirname(os.path.abspath(__file__))
    ka = run(["/usr/sbin/keepalived", "--version"]) or ""
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "kernel": platform.release(), "cpus": os.cpu_count(),
            "keepalived": (ka.splitlines() or [""])[0] or None,
            "keepvip_commit": run(["git", "-C", here, "rev-parse", "--short", "HEAD"]),
            "topology": "3 host namespaces on one bridge (switch namespace), veth, "
                        "captured on the bridge",
            "settings": {"version": 3, "mode": "unicast", "advert_ms": ADV,
                         "priorities": [150, 100, 50], "vrid": 51, "vip": VIP + "/24"}}


def strip(r):
    return {k: v for k, v in r.items() if not k.startswith("_") and not k.endswith("_ns")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--floor-minutes", default="0")
    ap.add_argument("--rt-seconds", default="0")
    ap.add_argument("--rt-priority", default="0")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rounds, scale, floor, rt = {}, {}, {}, {}
    with open(args.manifest) as f:
        for line in f:
            part, kind, rnd, pcap, evpath = line.rstrip("\n").split("\t")
            if part == "main":
                r = analyze_main_round(pcap, evpath)
                r["round"] = int(rnd)
                rounds.setdefault(kind, []).append(r)
            elif part == "scale":
                scale[kind] = analyze_scale(pcap, evpath)
            elif part == "floor":
                floor[kind] = analyze_floor(pcap, evpath)
            elif part == "rt":
                rt[kind] = analyze_floor(pcap, evpath)
    path = os.path.join(args.out, "latest.json")
    # Parts not run this time (main, scale, floor, rt) keep their last results, with their meta.
    result = {}
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
    result["meta"] = dict(meta(), **binary_meta(args.manifest))
    if rounds:
        summ = main_summary(rounds)
        n = max(len(v) for v in rounds.values())
        result["main"] = {"summary": summ, "meta": result["meta"],
                          "rounds": {k: [strip(r) for r in v] for k, v in rounds.items()},
                          "bounds": {"master_down_interval_prio100_ms": MDI_BACKUP,
                                     "skew_time_prio100_ms": skew_time(ADV, 100),
                                     "master_down_interval_prio150_ms":
                                         master_down_interval(ADV, 150)}}
        print_main_table(summ, n, rounds)
        panels = []
        for kind in ("keepvip", "keepalived"):
            # The round whose blackout is the median one: a typical failover, not the first.
            measured = [r for r in rounds.get(kind, []) if r.get("blackout_ms") is not None]
            if measured:
                mid = summ["blackout_ms"][kind]["median"]
                r = min(measured, key=lambda x: abs(x["blackout_ms"] - mid))
                panels.append((f'{kind} (round {r["round"]})', r))
        if panels:
            svg_failover(panels, os.path.join(args.out, "failover.svg"))
    if scale:
        result["scale"] = dict(scale, meta=result["meta"])
        print_scale(scale)
    if floor:
        result["floor"] = dict(floor, minutes=float(args.floor_minutes), meta=result["meta"])
        print_floor(floor, args.floor_minutes)
    if rt:
        result["rt"] = dict(rt, seconds=float(args.rt_seconds),
                            rt_priority=int(args.rt_priority), meta=result["meta"])
        print_rt(rt, args.rt_seconds, args.rt_priority)
    with open(path, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(f"\nwrote {path}" + (" and failover.svg" if rounds else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
