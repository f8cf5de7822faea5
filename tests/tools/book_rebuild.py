#!/usr/bin/env python3
"""Rebuild Binance local order books from a recorded session, written
independently of traderd's book.c to check it: the first REST snapshot of
each symbol, then the diff-depth frames by Binance's documented rules
(spot: drop u <= lastUpdateId, the first applied diff has
U <= lastUpdateId+1 <= u, then each U == previous u + 1; USD-M: drop
u < lastUpdateId, the first has U <= lastUpdateId <= u, then each pu ==
previous u).  Prints, per symbol, its last update id and every level as
integers scaled by 10^8:

    SYM id N
    SYM b PRICE QTY      (bids, best first)
    SYM a PRICE QTY      (asks, best first)

usage: book_rebuild.py FRAMES.jsonl SNAPSHOTS.jsonl [--usdm]
"""
import json
import sys
from decimal import Decimal
from urllib.parse import parse_qs, urlparse


def scaled(s):
    return int(Decimal(s) * 100000000)


def main():
    frames, snaps = sys.argv[1], sys.argv[2]
    usdm = "--usdm" in sys.argv[3:]
    books = {}
    for line in open(snaps):
        rec = json.loads(line)
        sym = parse_qs(urlparse(rec["url"]).query)["symbol"][0]
        if sym in books:
            continue
        body = rec["body"]
        books[sym] = {
            "id": body["lastUpdateId"],
            "b": {scaled(p): scaled(q) for p, q in body["bids"]},
            "a": {scaled(p): scaled(q) for p, q in body["asks"]},
            "started": False,
            "prev": None,
        }
    for line in open(frames):
        d = json.loads(line)["data"]
        if d.get("e") != "depthUpdate" or d["s"] not in books:
            continue
        bk = books[d["s"]]
        U, u = d["U"], d["u"]
        if not bk["started"]:
            if usdm:
                if u < bk["id"]:
                    continue
                if not (U <= bk["id"] <= u):
                    sys.exit("%s: first diff %d..%d does not cover %d"
                             % (d["s"], U, u, bk["id"]))
            else:
                if u <= bk["id"]:
                    continue
                if not (U <= bk["id"] + 1 <= u):
                    sys.exit("%s: first diff %d..%d does not follow %d"
                             % (d["s"], U, u, bk["id"]))
            bk["started"] = True
        elif usdm and d["pu"] != bk["prev"]:
            sys.exit("%s: pu %d after %d: a gap in the recording"
                     % (d["s"], d["pu"], bk["prev"]))
        elif not usdm and U != bk["id"] + 1:
            sys.exit("%s: U %d after %d: a gap in the recording"
                     % (d["s"], U, bk["id"]))
        for side in ("b", "a"):
            for p, q in d[side]:
                p, q = scaled(p), scaled(q)
                if q == 0:
                    bk[side].pop(p, None)
                else:
                    bk[side][p] = q
        bk["id"] = u
        bk["prev"] = u
    for sym in sorted(books):
        bk = books[sym]
        print("%s id %d" % (sym, bk["id"]))
        for p in sorted(bk["b"], reverse=True):
            print("%s b %d %d" % (sym, p, bk["b"][p]))
        for p in sorted(bk["a"]):
            print("%s a %d %d" % (sym, p, bk["a"][p]))


if __name__ == "__main__":
    main()
