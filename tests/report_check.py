#!/usr/bin/env python3
"""Recompute a report's figures from its own CSVs and the bars it read,
independently of traderd's code, and compare them with report.json.

Usage: report_check.py REPORT_DIR TF_S INITIAL_CASH SYMBOL=BARS.csv ...

The run must have used report.equity_interval: bar (equity.csv then has
every sample), the 24/7 calendar and no data gaps.  BARS.csv are generic
CSV (ts,open,high,low,close,volume; ts = bar open, Unix seconds) in the
order of the config's instruments.  Exits 1 and names every figure that
differs.
"""
import csv
import json
import math
import statistics
import sys
from decimal import Decimal, ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP

DAY = 86400
errors = []


def close(name, got, want, rel=1e-9, absol=1e-12):
    if want is None or got is None:
        if got is not None or want is not None:
            errors.append(f"{name}: report {got!r}, recomputed {want!r}")
        return
    if isinstance(want, float) and (math.isnan(want) or math.isinf(want)):
        errors.append(f"{name}: recomputed {want!r}")
        return
    if abs(got - want) > max(absol, rel * abs(want)):
        errors.append(f"{name}: report {got!r}, recomputed {want!r}")


def exact(name, got, want):
    if isinstance(want, str):
        if got != want:
            errors.append(f"{name}: report {got}, recomputed {want}")
        return
    if Decimal(str(got)) != Decimal(str(want)):
        errors.append(f"{name}: report {got}, recomputed {want}")


def day_of(ts):  # a close at midnight ends the day before
    ns = round(Decimal(ts) * 10**9)
    return (ns - 1) // (DAY * 10**9)


def moments(x):
    n = len(x)
    m = sum(x) / n
    m2 = sum((v - m) ** 2 for v in x) / n
    m3 = sum((v - m) ** 3 for v in x) / n
    m4 = sum((v - m) ** 4 for v in x) / n
    return m, m2, m3, m4


def main():
    rdir, tf, initial = sys.argv[1], int(sys.argv[2]), Decimal(sys.argv[3])
    bars = {}
    order = []
    for arg in sys.argv[4:]:
        sym, path = arg.split("=", 1)
        order.append(sym)
        with open(path) as f:
            rows = list(csv.DictReader(f))
        bars[sym] = [(int(r["ts"]) + tf, Decimal(r["open"]),
                      Decimal(r["close"])) for r in rows]
    rep = json.load(open(f"{rdir}/report.json"))

    # ---- daily equity, from every sample in equity.csv ----
    eq = [(Decimal(r["ts"]), Decimal(r["equity"]))
          for r in csv.DictReader(open(f"{rdir}/equity.csv"))]
    days = {}
    for ts, e in eq:
        days[day_of(ts)] = e  # the day's last sample
    dlist = sorted(days)
    deq = [float(days[d]) for d in dlist]
    prev = float(initial)
    ret = []
    for e in deq:
        ret.append(e / prev - 1)
        prev = e

    # ---- the benchmark, from the bars ----
    first_open = {s: bars[s][0][1] for s in order}
    last_close = {s: bars[s][-1][2] for s in order}
    basket = []
    idx = {s: 0 for s in order}
    mark = {s: None for s in order}
    for d in dlist:
        end = (d + 1) * DAY
        for s in order:
            b = bars[s]
            while idx[s] < len(b) and b[idx[s]][0] <= end:
                mark[s] = b[idx[s]][2]
                idx[s] += 1
        v = sum(float(mark[s] / first_open[s]) if mark[s] else 1.0
                for s in order) / len(order)
        basket.append(v)
    bret = []
    pb = 1.0
    for v in basket:
        bret.append(v / pb - 1)
        pb = v
    bm = rep["benchmark"]
    close("benchmark.total_return", bm["total_return"], basket[-1] - 1)
    for s, item in zip(order, bm["instruments"]):
        close(f"benchmark {s} buy_and_hold_return",
              item["buy_and_hold_return"],
              float(last_close[s] / first_open[s]) - 1)
    total = float(Decimal(str(rep["final_equity"])) / initial) - 1
    close("benchmark.excess_return", bm["excess_return"],
          total - (basket[-1] - 1))
    n = len(ret)
    mr, mb = sum(ret) / n, sum(bret) / n
    cov = sum((a - mr) * (b - mb) for a, b in zip(ret, bret))
    vs = sum((a - mr) ** 2 for a in ret)
    vb = sum((b - mb) ** 2 for b in bret)
    beta = cov / vb
    close("benchmark.beta", bm["beta"], beta, 1e-7)
    close("benchmark.alpha", bm["alpha"], (mr - beta * mb) * 365, 1e-7)
    close("benchmark.correlation", bm["correlation"],
          cov / math.sqrt(vs * vb), 1e-7)
    diff = [a - b for a, b in zip(ret, bret)]
    close("benchmark.information_ratio", bm["information_ratio"],
          statistics.mean(diff) / statistics.stdev(diff) * math.sqrt(365),
          1e-7)

    # ---- daily risk figures ----
    dy = rep["daily"]
    exact("daily.days", dy["days"], n)
    close("daily.volatility", dy["volatility"],
          statistics.stdev(ret) * math.sqrt(365), 1e-7)
    m, m2, m3, m4 = moments(ret)
    close("daily.skew", dy["skew"], m3 / m2 ** 1.5, 1e-6)
    close("daily.kurtosis", dy["kurtosis"], m4 / m2 ** 2 - 3, 1e-6)
    srt = sorted(ret)
    for a, key in ((0.95, "95"), (0.99, "99")):
        k = max(1, math.ceil((1 - a) * n - 1e-9))
        close(f"daily.var_{key}", dy[f"var_{key}"], -srt[k - 1])
        close(f"daily.cvar_{key}", dy[f"cvar_{key}"], -sum(srt[:k]) / k)
    worst = sorted(range(n), key=lambda i: (ret[i], i))[:5]
    for got, i in zip(dy["worst_days"], worst):
        close(f"worst day {got['date']}", got["return"], ret[i])

    # ---- returns by month and year ----
    def periods(key):
        out = []
        start = float(initial)
        for i, d in enumerate(dlist):
            k = key(d)
            if not out or out[-1][0] != k:
                if out:
                    start = deq[i - 1]
                out.append([k, 0.0])
            out[-1][1] = deq[i] / start - 1
        return out

    import datetime
    ymd = lambda d: datetime.date(1970, 1, 1) + datetime.timedelta(days=d)
    months = periods(lambda d: ymd(d).strftime("%Y-%m"))
    exact("returns.monthly count", len(rep["returns"]["monthly"]), len(months))
    for got, (k, v) in zip(rep["returns"]["monthly"], months):
        exact("month", got["month"], k)
        close(f"return of {k}", got["return"], v)
    years = periods(lambda d: ymd(d).year)
    for got, (k, v) in zip(rep["returns"]["yearly"], years):
        close(f"return of {k}", got["return"], v)

    # ---- drawdowns, from every sample ----
    peak, peak_ts, under = initial, eq[0][0] - tf, False
    trough, trough_ts, dds = Decimal(0), None, []
    for ts, e in eq:
        if e >= peak:
            if under and trough > 0:
                dds.append((float(trough), peak_ts, trough_ts, ts))
            under, trough = False, Decimal(0)
            peak, peak_ts = e, ts
        else:
            under = True
            dd = (peak - e) / peak
            if dd > trough:
                trough, trough_ts = dd, ts
    if under and trough > 0:
        dds.append((float(trough), peak_ts, trough_ts, None))
    dds = sorted(dds, key=lambda x: -x[0])[:5]
    exact("drawdowns count", len(rep["drawdowns"]), len(dds))
    for got, (depth, p, t, rcv) in zip(rep["drawdowns"], dds):
        close("drawdown depth", got["depth"], depth, 1e-9)
        end = rcv if rcv is not None else eq[-1][0]
        exact("drawdown length_s", got["length_s"], int(end - p))

    # ---- trades ----
    trades = list(csv.DictReader(open(f"{rdir}/trades.csv")))
    ts_ = rep["trade_stats"]
    net = [Decimal(t["net_pnl"]) for t in trades]
    wins = [v for v in net if v > 0]
    losses = [v for v in net if v <= 0]
    exact("trade_stats.count", ts_["count"], len(trades))
    exact("trade_stats.wins", ts_["wins"], len(wins))
    close("trade_stats.average_win", ts_["average_win"],
          float(sum(wins) / len(wins)))
    close("trade_stats.average_loss", ts_["average_loss"],
          float(sum(losses) / len(losses)))
    close("trade_stats.expectancy", ts_["expectancy"],
          float(sum(net) / len(net)))
    close("trade_stats.profit_factor", ts_["profit_factor"],
          float(sum(wins) / -sum(losses)))
    close("trade_stats.payoff_ratio", ts_["payoff_ratio"],
          float((sum(wins) / len(wins)) / -(sum(losses) / len(losses))))
    best = {True: 0, False: 0}
    run, last = 0, None
    for v in net:
        w = v > 0
        run = run + 1 if w == last else 1
        last = w
        best[w] = max(best[w], run)
    exact("longest_winning_streak", ts_["longest_winning_streak"], best[True])
    exact("longest_losing_streak", ts_["longest_losing_streak"], best[False])
    hold = [float(Decimal(t["exit_ts"]) - Decimal(t["entry_ts"]))
            for t in trades]
    close("average_holding_s", ts_["average_holding_s"], statistics.mean(hold))
    close("median_holding_s", ts_["median_holding_s"], statistics.median(hold))
    for side, key in (("long", "long"), ("short", "short")):
        sel = [v for t, v in zip(trades, net) if t["side"] == side]
        exact(f"{key}.count", ts_[key]["count"], len(sel))
        exact(f"{key}.net_pnl", ts_[key]["net_pnl"], sum(sel))

    # ---- attribution, from the fills ----
    q8 = Decimal("0.00000001")
    cells = {}
    for f in csv.DictReader(open(f"{rdir}/fills.csv")):
        k = (f["strategy"], f["symbol"])
        c = cells.setdefault(k, dict(flow=Decimal(0), slip=Decimal(0),
                                     fees=Decimal(0), pos=Decimal(0)))
        qty, px, ref = (Decimal(f["quantity"]), Decimal(f["price"]),
                        Decimal(f["ref_price"]))
        rnd = ROUND_CEILING if f["side"] == "buy" else ROUND_FLOOR
        n_px = (qty * px).quantize(q8, rounding=rnd)
        n_ref = (qty * ref).quantize(q8, rounding=rnd)
        if f["side"] == "buy":
            c["flow"] -= n_px
            c["slip"] += n_px - n_ref
            c["pos"] += qty
        else:
            c["flow"] += n_px
            c["slip"] += n_ref - n_px
            c["pos"] -= qty
        c["fees"] += Decimal(f["fee"])

    def attr(pred):
        g = s = fe = ne = Decimal(0)
        for (st, sy), c in cells.items():
            if not pred(st, sy):
                continue
            mk = c["pos"] * last_close[sy]
            gf = c["flow"] + mk.quantize(q8, rounding=ROUND_HALF_UP)
            g += gf + c["slip"]
            s += c["slip"]
            fe += c["fees"]
            ne += gf - c["fees"]
        return g, s, fe, ne

    def check_attr(name, got, want):
        for key, v in zip(("gross_pnl", "slippage", "fees", "net_pnl"), want):
            exact(f"attribution {name} {key}", got[key], v)

    at = rep["attribution"]
    check_attr("total", at["total"], attr(lambda st, sy: True))
    for item in at["strategies"]:
        check_attr(item["name"], item,
                   attr(lambda st, sy: st == item["name"]))
    for item in at["symbols"]:
        check_attr(item["symbol"], item,
                   attr(lambda st, sy: sy == item["symbol"]))
    exact("net attribution = final equity - initial", at["total"]["net_pnl"],
          Decimal(str(rep["final_equity"])) - initial)

    # ---- the run's record ----
    for s, d in zip(order, rep["run"]["data"]):
        exact(f"data {s} bars", d["bars"], len(bars[s]))

    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"report_check: {rdir}: every recomputed figure matches "
          f"({n} days, {len(trades)} trades, {len(cells)} strategy-symbol "
          f"pairs)")


main()
