"""The benchmark's one table, from the raw report."""

from __future__ import annotations

from typing import Any

ROWS = [
    "get_by_id",
    "filter_eq",
    "list_first",
    "list_last",
    "patch_deactivate",
    "group_get",
    "create",
    "graphql_user",
    "graphql_users_page",
]
CEILING_OF = {"create": "create"}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def render(report: dict[str, Any]) -> str:
    """Rates with their share of the ceiling, then the flat-cost ratios per configuration."""
    ceiling = report["ceiling"]
    lines = [
        f"ceiling (bare Starlette, 1 worker): GET {ceiling['get_by_id']['rps']:.0f} req/s, "
        f"POST {ceiling['create']['rps']:.0f} req/s",
        "",
        f"{'config':<22}{'phase':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'of ceiling':>12}{'non2xx':>8}",
    ]
    for run in report["runs"]:
        config = f"{run['engine']} w{run['workers']} n={run['size']}"
        for phase in ROWS:
            r = run.get(phase)
            if not r:
                continue
            base = ceiling[CEILING_OF.get(phase, "get_by_id")]["rps"]
            lines.append(
                f"{config:<22}{phase:<20}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                f"{100 * r['rps'] / base:>11.1f}%{r['non2xx']:>8}"
            )
    lines += [
        "",
        "flat cost (p50 ratios; targets: sizes ≤1.3, last/first page ≤1.5, "
        "members big/empty ≤1.5, group_get/get_by_id ≤1.5)",
    ]
    lines += _flat(report["runs"])
    return "\n".join(lines)


def _flat(runs: list[dict[str, Any]]) -> list[str]:
    out = []
    keys = sorted({(r["engine"], r["workers"]) for r in runs})
    for engine, workers in keys:
        mine = sorted(
            (r for r in runs if (r["engine"], r["workers"]) == (engine, workers)),
            key=lambda r: r["size"],
        )
        small, big = mine[0], mine[-1]
        parts = []
        for phase in ("get_by_id", "filter_eq"):
            if phase in small and phase in big:
                parts.append(f"{phase} {_ratio(big[phase]['p50_ms'], small[phase]['p50_ms'])}")
        if "list_first" in big and "list_last" in big:
            parts.append(
                f"last/first page {_ratio(big['list_last']['p50_ms'], big['list_first']['p50_ms'])}"
            )
        parts += _at_largest(big)
        peaks = ", ".join(f"{r['size']}: {r.get('server_rss_peak_kb', 0) // 1024} MB" for r in mine)
        parts.append(f"server peak RSS {peaks}")
        out.append(f"  {engine} w{workers} n={small['size']}→{big['size']}: " + "; ".join(parts))
    return out


def _at_largest(big: dict[str, Any]) -> list[str]:
    """Group, member and Bulk figures at the largest size."""
    parts = []
    if "members" in big:
        m = big["members"]
        parts.append(f"+100 members into {m['big_group_size']} vs empty {m['ratio']:.2f}")
    if "group_get" in big and "get_by_id" in big:
        parts.append(
            "group_get/get_by_id " + _ratio(big["group_get"]["p50_ms"], big["get_by_id"]["p50_ms"])
        )
    if "group_full" in big:
        g = big["group_full"]
        parts.append(f"full read of {g['members']} members {g['ms']:.0f} ms, {g['bytes']} B")
    if "group_stream" in big:
        g = big["group_stream"]
        parts.append(
            f"full read of {g['members']} members: TTFB {g['ttfb_ms']:.1f} ms, last byte"
            f" {g['total_ms']:.0f} ms, server RSS +{g['rss_growth_kb_max'] / 1024:.1f} MB"
        )
    if "bulk" in big:
        b = big["bulk"]
        parts.append(
            f"{b['operations']} creates: one Bulk {b['bulk_s']:.2f} s vs POSTs "
            f"{b['posts_s']:.2f} s ({b['speedup']:.1f}x)"
        )
    if "events" in big:
        e = big["events"]
        parts.append(
            f"events: {e['received']}/{e['deactivations']} deactivations at"
            f" {e['rate_per_s']:.0f}/s reached the feed consumer, p50 {e['lag_p50_ms']:.1f} ms,"
            f" p99 {e['lag_p99_ms']:.1f} ms; feed read {e['feed_read_events_per_s']:.0f} events/s"
        )
    return parts
