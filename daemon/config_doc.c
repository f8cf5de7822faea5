/*
 * config_doc: what each configuration key means, for traderd.yaml(5).
 *
 * The man page is made from the schema (config_schema.c: types, bounds,
 * defaults, reloadability) and this text by tools/gen_man.c, which fails
 * when a key has no text here or a text names no key: the page cannot
 * drift from what the loader accepts.
 */
#include <string.h>

#include "config.h"

static const struct {
	const char *path, *doc;
} docs[] = {
	{ "mode", "What traderd does: replay stored history under a virtual "
	  "clock, or paper trade the live feed against the simulated venue. "
	  "live is reserved (refused in this version)." },
	{ "data_dir", "The LMDB store: bars, ticks, instruments and the "
	  "recorded feed (the tape)." },
	{ "report_dir", "Where the report of a run is written (report.html, "
	  "report.json, orders.csv, fills.csv, trades.csv, equity.csv); "
	  "--report overrides it." },
	{ "report", "How the report samples and annualises." },
	{ "report.equity_interval", "One equity.csv row per interval of "
	  "market time (bar: one per bar); metrics use every bar." },
	{ "report.calendar", "Market time for durations and annualisation: "
	  "24/7 (crypto) or weekdays (UTC Monday to Friday)." },
	{ "report.gap", "A pause in the data longer than this is a gap: "
	  "drawn as a break and not counted as market time (auto: 60 bars, "
	  "at least 1h)." },
	{ "log_level", "Least severe log lines printed." },
	{ "instruments", "The instruments traded, in this order (a "
	  "strategy's instrument handles follow it)." },
	{ "instruments[].symbol", "The instrument's name in the store and in "
	  "strategies (BTCUSDT)." },
	{ "instruments[].venue_symbol", "The venue's name for it when it "
	  "differs (Alpaca crypto: BTC/USD)." },
	{ "instruments[].price_dp", "Decimals kept for prices." },
	{ "instruments[].qty_dp", "Decimals kept for quantities." },
	{ "instruments[].tick_size", "Price increment; orders off the grid "
	  "are rejected.  Required except in paper mode on Binance, where "
	  "exchangeInfo gives it." },
	{ "instruments[].lot_size", "Quantity increment, as tick_size." },
	{ "instruments[].shortable", "Whether positions may go below zero." },
	{ "instruments[].min_notional", "Orders worth less are rejected "
	  "(0: none)." },
	{ "instruments[].max_order_qty", "Largest quantity of one order (0: "
	  "no limit)." },
	{ "replay", "What a replay reads and how fast." },
	{ "replay.from", "Replay bars opening at or after this time (unset: "
	  "the first stored)." },
	{ "replay.to", "... and before this time (exclusive; unset: the "
	  "last stored)." },
	{ "replay.speed", "N times real time, or max (unpaced).  The admin "
	  "socket's speed command changes it too." },
	{ "replay.timeframe", "The stored bar timeframe to replay." },
	{ "replay.ticks", "Stored ticks merged with the bars: none, trades, "
	  "quotes or all.  Orders then fill at the touch." },
	{ "store", "LMDB map sizes." },
	{ "store.map_size_mb", "Initial map size; it grows as needed." },
	{ "store.map_max_mb", "The map never grows past this." },
	{ "plugin_dir", "Where strategy plugins are loaded from "
	  "(PLUGIN.so)." },
	{ "housekeeping_ms", "Period of the session's housekeeping tick: "
	  "expiries, order-age cancels, the kill switch and stale flags "
	  "on the clock." },
	{ "account", "The simulated account." },
	{ "account.cash", "Starting cash, in the quote currency." },
	{ "venue", "The simulated venue's fill model." },
	{ "venue.kind", "The venue: sim, the simulated exchange." },
	{ "venue.fee_bps", "Fee per fill, in basis points of its notional." },
	{ "venue.slippage_bps", "Price moved against each market fill, in "
	  "basis points." },
	{ "venue.seed", "Reserved: accepted and ignored (the venue has no "
	  "randomness)." },
	{ "venue.participation", "Largest share of a bar's volume one order "
	  "may fill (0: no cap)." },
	{ "venue.submit_latency_ms", "Delay before a new order reaches the "
	  "book." },
	{ "venue.cancel_latency_ms", "Delay before a cancel takes effect." },
	{ "venue.intrabar", "The path assumed inside a bar for stops and "
	  "limits: pessimistic, optimistic or ohlc." },
	{ "risk", "Pre- and post-trade limits; 0 turns one off.  All may "
	  "change on reload." },
	{ "risk.max_order_notional", "Largest value of one order." },
	{ "risk.max_position_notional", "Largest position value per symbol, "
	  "account-wide." },
	{ "risk.max_gross_exposure", "Largest sum of position values." },
	{ "risk.max_open_orders", "Open orders, account-wide." },
	{ "risk.max_open_trades", "Positions open at once." },
	{ "risk.orders_per_second", "Order rate per strategy." },
	{ "risk.orders_per_second_global", "Order rate of the account." },
	{ "risk.order_burst", "Token-bucket depth of the rates (0: the rate, "
	  "at least 1)." },
	{ "risk.price_collar_pct", "A limit price further than this from "
	  "the last price is rejected." },
	{ "risk.max_drawdown_pct", "The kill switch trips at this drop from "
	  "the equity peak." },
	{ "risk.daily_loss_pct", "The kill switch trips at this loss from "
	  "the UTC day's first equity." },
	{ "risk.on_trip", "What a trip does: cancel every open order, or "
	  "flatten (also close every position)." },
	{ "risk.stale_data_s", "Refuse orders on a symbol whose data is "
	  "older than this." },
	{ "risk.max_order_age_s", "Cancel orders open this long." },
	{ "feed", "The live market data of a paper session.  Start-only." },
	{ "feed.kind", "binance_spot, binance_usdm, alpaca_stocks or "
	  "alpaca_crypto." },
	{ "feed.ws_url", "The WebSocket base URL (default: the venue's; "
	  "ws:// for a local simulator)." },
	{ "feed.rest_url", "The REST base URL for snapshots, backfills and "
	  "exchangeInfo." },
	{ "feed.ca_file", "CA certificates to trust (default: the system's)." },
	{ "feed.streams", "Binance: aggTrade, trade, bookTicker, depth, "
	  "kline_INTERVAL; Alpaca: trades, quotes, bars." },
	{ "feed.bar_timeframe", "Bars the strategies get: closed klines of "
	  "this interval, or built from trades." },
	{ "feed.record", "Record every frame on the tape (replayed with "
	  "--replay --source tape)." },
	{ "feed.retention_h", "Tape records kept (0: forever)." },
	{ "feed.ping_s", "Ping a connection after this long without a pong." },
	{ "feed.silence_s", "Reconnect after this long without data." },
	{ "feed.rotate_s", "Replace a connection at this age, overlapping "
	  "the old one (Binance closes them at 24 h)." },
	{ "feed.stale_s", "A symbol without data this long is stale "
	  "(/healthz, show feeds)." },
	{ "feed.depth_limit", "Levels asked of a REST book snapshot." },
	{ "features", "The feature engine." },
	{ "features.history", "Recent bars kept per instrument." },
	{ "strategies", "The strategies, each a plugin instance." },
	{ "strategies[].name", "Unique name (show strategies, strategy "
	  "pause NAME, client ids)." },
	{ "strategies[].plugin", "Loads plugin_dir/PLUGIN.so.  A rebuilt "
	  ".so is hot-swapped on reload." },
	{ "strategies[].symbols", "The instruments it trades." },
	{ "strategies[].features", "Features computed for it on each of its "
	  "symbols (rsi(14), bb(20,2).pctb, ...).  Ones added by a reload start "
	  "cold (not ready until their window fills)." },
	{ "strategies[].params", "Its parameters, given to the plugin's init "
	  "and, on reload, to on_reload." },
	{ "admin", "The admin socket (traderctl).  Sockets are start-only; "
	  "access and limits reload." },
	{ "admin.socket", "The admin socket, created 0660 (the service uses "
	  "/run/traderd/traderd.sock).  Unset: none." },
	{ "admin.socket_ro", "A second socket, 0666, where every peer has "
	  "the user level." },
	{ "admin.socket_group", "Group given to admin.socket so its members "
	  "may connect (default: the daemon's)." },
	{ "admin.access", "Levels by peer: root and the daemon's own user "
	  "are admin; otherwise the highest entry naming the peer's uid or "
	  "one of its groups." },
	{ "admin.access[].user", "A user name or uid." },
	{ "admin.access[].group", "A group name or gid." },
	{ "admin.access[].level", "user (show, subscribe), operator (also "
	  "strategy pause/resume, speed, reload) or admin (also halt, "
	  "resume, cancel, flatten)." },
	{ "admin.default_level", "The level of a peer no entry names." },
	{ "admin.max_clients", "Clients per socket; more are told ERR BUSY." },
	{ "admin.idle_timeout_s", "Close a client idle this long (0: never; "
	  "subscribers never idle)." },
	{ "admin.max_output_kb", "A client with more unread output is "
	  "dropped." },
	{ "metrics", "The Prometheus endpoint.  Start-only." },
	{ "metrics.listen", "ADDRESS:PORT serving /metrics and /healthz "
	  "(127.0.0.1:9464; port 0: any free one, shown by show info).  "
	  "Unset: none." },
};

const char *
trd_config_doc(const char *path)
{
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		if (strcmp(docs[i].path, path) == 0)
			return docs[i].doc;
	return NULL;
}

size_t
trd_config_docs(const char **paths, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]) && n < max; i++)
		paths[n++] = docs[i].path;
	return sizeof(docs) / sizeof(docs[0]);
}
