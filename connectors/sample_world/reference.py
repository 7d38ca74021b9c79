"""Reference data of the sample world: legal entities, desks and books, traders, counterparties,
instruments, accounts (our safekeeping accounts and counterparty SSIs), netting sets, holidays.

Everything is drawn from one numpy Generator in a fixed order, so it is deterministic for a seed.
Reference data is a few hundred rows: it is built with small comprehensions over reference items
(never over trades), then kept as numpy arrays for vectorised lookups by integer index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from connectors.sample_world.conventions import CURRENCIES, CUSTODIAN_BICS, CUSTODIANS
from engine.identifiers import iban_check_digits, isin_check_digit, lei_check_digits

log = logging.getLogger(__name__)

ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))

SECTORS = (
    "Technology", "Financials", "Health Care", "Industrials", "Consumer Discretionary",
    "Consumer Staples", "Energy", "Utilities", "Materials", "Communication Services", "Real Estate",
)
RATINGS = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B")
RATING_W = np.array([1, 2, 4, 6, 8, 10, 10, 10, 10, 8, 6, 5, 4, 3, 2], dtype=float)

_W1 = ("North", "South", "East", "West", "Silver", "Golden", "Blue", "Red", "Green", "Iron", "Stone", "River",
       "Harbor", "Summit", "Crown", "Eagle", "Falcon", "Oak", "Pine", "Cedar", "Maple", "Atlas", "Apex", "Nova",
       "Vertex", "Orion", "Polar", "Lunar", "Solar", "Bright", "Clear", "Prime", "Royal", "Union", "Liberty",
       "Pioneer", "Frontier", "Meridian", "Horizon", "Zenith", "Quantum", "Vector", "Sterling", "Granite")
_W2 = ("bridge", "field", "gate", "wood", "stone", "haven", "point", "crest", "ridge", "view", "ford", "port",
       "wave", "light", "peak", "line", "mark", "way", "vale", "brook", "shore", "hill", "star", "works")
_SUFFIX = {
    "Banks": ("Bank", "Banking Corp", "Bank AG", "Bank plc"),
    "Broker-Dealers": ("Securities", "Markets LLC", "Brokerage"),
    "Asset Managers": ("Asset Management", "Investors", "Capital Management"),
    "Hedge Funds": ("Capital LP", "Partners", "Fund Ltd"),
    "Insurance": ("Insurance", "Assurance", "Re"),
    "Pension Funds": ("Pension Fund", "Retirement Trust"),
    "Corporates": ("Industries", "Holdings", "Group"),
    "Sovereigns": ("Treasury Agency", "Development Bank"),
}
_CO_SUFFIX = ("Inc", "Corp", "Group", "Holdings", "AG", "SA", "plc", "NV", "Ltd", "SE")


@dataclass(frozen=True)
class Reference:
    """Reference frames (canonical columns) plus numpy arrays indexed by integer ids."""

    legal_entities: pl.DataFrame
    books: pl.DataFrame
    counterparties: pl.DataFrame
    instruments: pl.DataFrame
    accounts: pl.DataFrame
    netting_sets: pl.DataFrame
    holidays: pl.DataFrame
    # legal entities
    le_id: np.ndarray
    # books / desks / traders
    desks: tuple[str, ...]
    book_id: np.ndarray
    book_desk: np.ndarray
    book_le: np.ndarray
    book_traders: np.ndarray          # (n_books, 2) trader indexes: head, second
    trader_name: np.ndarray
    desk_books: np.ndarray            # (n_desks, max) padded book indexes
    desk_nbooks: np.ndarray
    desk_le_books: np.ndarray         # (n_desks, n_le, max) books of a desk in a legal entity
    desk_le_nbooks: np.ndarray
    # counterparties
    cp_id: np.ndarray
    cp_bic: np.ndarray
    cp_name: np.ndarray
    cp_rating: np.ndarray
    cp_sector: np.ndarray
    cp_weight: np.ndarray
    cp_pool: dict[str, np.ndarray]    # trading pools: 'CASH', 'FX', 'OTC', 'FUT'
    # instruments
    ins_id: np.ndarray
    ins_isin: np.ndarray              # '' where none
    ins_ac: np.ndarray                # asset class strings
    ins_ccy: np.ndarray               # currency index into CURRENCIES
    ins_qccy: np.ndarray              # FX: quote currency index; else = ins_ccy
    ins_bccy: np.ndarray              # FX: base currency index; else -1
    ins_mult_num: np.ndarray          # price multiplier = num / den
    ins_mult_den: np.ndarray
    ins_pscale: np.ndarray            # decimals of the price
    ins_desk: np.ndarray
    ins_custodian: np.ndarray         # index into CUSTODIANS, -1 = not custodied
    ins_pset: np.ndarray
    ins_lag: np.ndarray               # settlement lag in business days
    ins_lot: np.ndarray               # trading lot (units / nominal / contracts)
    ins_weight: np.ndarray            # trading probability
    ins_has_price: np.ndarray
    ins_p0: np.ndarray                # starting price level
    ins_vol: np.ndarray               # daily volatility
    ins_coupon: np.ndarray            # annual coupon fraction (bonds) else 0
    ins_freq: np.ndarray
    ins_daycount: np.ndarray          # 'ACT/ACT' | '30/360' | ''
    ins_issue: np.ndarray             # datetime64[D]
    ins_maturity: np.ndarray          # datetime64[D] (NaT if none)
    ins_tenor_bd: np.ndarray          # FX forwards: business days to delivery
    ins_tenor_y: np.ndarray           # IRS/CDS tenor years
    ins_underlying: np.ndarray        # option: underlying instrument index; else -1
    ins_issuer: np.ndarray
    ins_sector: np.ndarray
    ins_country: np.ndarray
    ins_rating: np.ndarray            # CDS reference entity rating
    ins_is_index: np.ndarray
    ins_commodity: np.ndarray
    ins_region: np.ndarray            # equity region index 0..4 (factor model)
    ins_sector_idx: np.ndarray
    # accounts
    account_id: np.ndarray            # (n_le, n_custodians) our safekeeping account ids
    cash_account: np.ndarray          # (n_le, n_custodians) cash account per safekeeping account
    psets: tuple[str, ...]
    # netting sets
    ns_id: np.ndarray                 # (n_cp, n_le) netting set id, '' if none


def _rand_str(rng: np.random.Generator, alphabet: np.ndarray, n: int, k: int) -> list[str]:
    """``n`` random strings of length ``k``."""
    idx = rng.integers(0, len(alphabet), size=(n, k))
    return ["".join(row) for row in alphabet[idx]]


def _unique_strings(rng: np.random.Generator, alphabet: np.ndarray, n: int, k: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for s in _rand_str(rng, alphabet, n - len(out), k):
            if s not in taken:
                taken.add(s)
                out.append(s)
    return out


def make_isins(rng: np.random.Generator, prefixes: list[str], taken: set[str]) -> list[str]:
    """Valid ISINs (ISO 6166) with the given 2..5-character prefixes, unique within ``taken``."""
    out = []
    for prefix in prefixes:
        while True:
            alphabet = DIGITS if prefix[:2] in ("US", "JP") else ALNUM
            body = prefix + "".join(alphabet[rng.integers(0, len(alphabet), 11 - len(prefix))])
            if body not in taken:
                taken.add(body)
                break
        out.append(body + str(isin_check_digit(body)))
    return out


def make_lei(rng: np.random.Generator, lou: str, taken: set[str]) -> str:
    (entity,) = _unique_strings(rng, ALNUM, 1, 12, taken)
    body = f"{lou}00{entity}"
    return body + lei_check_digits(body)


def _holidays(first_year: int, last_year: int) -> pl.DataFrame:
    """TARGET and USNY holidays (fixed rules plus Easter), for information only."""

    def easter(y: int) -> date:  # anonymous Gregorian algorithm
        a, b, c = y % 19, y // 100, y % 100
        d, e = b // 4, b % 4
        f = (b + 8) // 25
        g = (b - f + 1) // 3
        h = (19 * a + b - d - g + 15) % 30
        i, k = c // 4, c % 4
        ell = (32 + 2 * e + 2 * i - h - k) % 7
        m = (a + 11 * h + 22 * ell) // 451
        month = (h + ell - 7 * m + 114) // 31
        day = ((h + ell - 7 * m + 114) % 31) + 1
        return date(y, month, day)

    def nth_weekday(y: int, month: int, weekday: int, n: int) -> date:
        d = date(y, month, 1)
        d += timedelta(days=(weekday - d.weekday()) % 7)
        return d + timedelta(weeks=n - 1)

    def last_weekday(y: int, month: int, weekday: int) -> date:
        d = date(y, month + 1, 1) - timedelta(days=1) if month < 12 else date(y, 12, 31)
        return d - timedelta(days=(d.weekday() - weekday) % 7)

    rows: list[tuple[str, date, str]] = []
    for y in range(first_year, last_year + 1):
        e = easter(y)
        rows += [
            ("TARGET", date(y, 1, 1), "New Year's Day"),
            ("TARGET", e - timedelta(days=2), "Good Friday"),
            ("TARGET", e + timedelta(days=1), "Easter Monday"),
            ("TARGET", date(y, 5, 1), "Labour Day"),
            ("TARGET", date(y, 12, 25), "Christmas Day"),
            ("TARGET", date(y, 12, 26), "Christmas Holiday"),
            ("USNY", date(y, 1, 1), "New Year's Day"),
            ("USNY", nth_weekday(y, 1, 0, 3), "Martin Luther King Jr. Day"),
            ("USNY", nth_weekday(y, 2, 0, 3), "Washington's Birthday"),
            ("USNY", last_weekday(y, 5, 0), "Memorial Day"),
            ("USNY", date(y, 6, 19), "Juneteenth"),
            ("USNY", date(y, 7, 4), "Independence Day"),
            ("USNY", nth_weekday(y, 9, 0, 1), "Labor Day"),
            ("USNY", nth_weekday(y, 10, 0, 2), "Columbus Day"),
            ("USNY", date(y, 11, 11), "Veterans Day"),
            ("USNY", nth_weekday(y, 11, 3, 4), "Thanksgiving Day"),
            ("USNY", date(y, 12, 25), "Christmas Day"),
        ]
    return pl.DataFrame(rows, schema={"calendar": pl.String, "holiday_date": pl.Date, "name": pl.String},
                        orient="row").sort("calendar", "holiday_date")


def build_reference(rng: np.random.Generator, price_start: np.datetime64, end: np.datetime64) -> Reference:
    """Draw the reference data. ``price_start``/``end`` bound the world's dates."""
    ccy_ix = {c: i for i, c in enumerate(CURRENCIES)}
    end_d = end.astype(object)
    taken: set[str] = set()

    # ---- legal entities ----------------------------------------------------------------------
    les = [("MCM-UK", "Midoffice Capital Markets plc", "2138", "GBP", "GB"),
           ("MCM-US", "Midoffice Securities LLC", "5493", "USD", "US"),
           ("MCM-EU", "Midoffice Europe SE", "5299", "EUR", "DE")]
    le_frame = pl.DataFrame(
        {
            "legal_entity_id": [x[0] for x in les],
            "name": [x[1] for x in les],
            "lei": [make_lei(rng, x[2], taken) for x in les],
            "base_currency": [x[3] for x in les],
            "country": [x[4] for x in les],
        }
    )
    n_le = len(les)

    # ---- desks, books, traders ---------------------------------------------------------------
    desks = ("EQ_CASH", "EQ_DERIV", "RATES", "CREDIT", "FX", "COMMODITIES")
    desk_code = ("EQC", "EQD", "RTS", "CRD", "FXD", "CMD")
    books_per_desk = (7, 4, 6, 5, 4, 4)
    first = ("anna", "ben", "carla", "dev", "emma", "felix", "grace", "hugo", "ines", "jon", "kira", "liam",
             "maya", "noah", "olga", "paul", "quinn", "rosa", "sam", "tara", "uma", "victor", "wen", "yusuf")
    last = ("smith", "mueller", "dubois", "rossi", "tanaka", "kowalski", "nguyen", "garcia", "olsen", "brown",
            "klein", "martin", "silva", "weber", "ito", "novak", "jensen", "moreau", "lopez", "evans")
    trader_names: list[str] = []
    desk_traders: list[list[int]] = []
    for _d in desks:
        ts = []
        for _ in range(4):
            while True:
                name = f"{first[rng.integers(len(first))]}.{last[rng.integers(len(last))]}"
                if name not in trader_names:
                    break
            trader_names.append(name)
            ts.append(len(trader_names) - 1)
        desk_traders.append(ts)
    book_rows = []
    book_desk, book_le, book_tr = [], [], []
    lot_methods = np.array(["FIFO"] * 23 + ["LIFO"] * 4 + ["AVERAGE"] * 3)
    rng.shuffle(lot_methods)
    b = 0
    for di, (dname, dcode, nb) in enumerate(zip(desks, desk_code, books_per_desk, strict=True)):
        for k in range(nb):
            le = (k + di) % n_le
            t = desk_traders[di]
            head, second = t[k % len(t)], t[(k + 1) % len(t)]
            bid = f"{dcode}-{les[le][0].split('-')[1]}-{k + 1:02d}"
            book_rows.append((bid, f"{dname.replace('_', ' ').title()} book {k + 1}", dname, les[le][0],
                              trader_names[head], str(lot_methods[b])))
            book_desk.append(di)
            book_le.append(le)
            book_tr.append((head, second))
            b += 1
    books = pl.DataFrame(book_rows, schema=["book_id", "book_name", "desk", "legal_entity_id", "trader", "lot_method"],
                         orient="row")
    n_books = len(book_rows)
    book_desk_a, book_le_a = np.array(book_desk), np.array(book_le)
    maxb = max(books_per_desk)
    desk_books = np.full((len(desks), maxb), -1)
    desk_nbooks = np.zeros(len(desks), dtype=np.int64)
    desk_le_books = np.full((len(desks), n_le, maxb), -1)
    desk_le_nbooks = np.zeros((len(desks), n_le), dtype=np.int64)
    for bi in range(n_books):
        d, le = book_desk[bi], book_le[bi]
        desk_books[d, desk_nbooks[d]] = bi
        desk_nbooks[d] += 1
        desk_le_books[d, le, desk_le_nbooks[d, le]] = bi
        desk_le_nbooks[d, le] += 1

    # ---- counterparties ----------------------------------------------------------------------
    cp_types = (["Banks"] * 60 + ["Broker-Dealers"] * 20 + ["Asset Managers"] * 40 + ["Hedge Funds"] * 25
                + ["Insurance"] * 15 + ["Pension Funds"] * 10 + ["Corporates"] * 25 + ["Sovereigns"] * 5)
    n_cp = len(cp_types)
    countries = np.array(["US", "GB", "DE", "FR", "CH", "JP", "NL", "CA", "AU", "SE", "IE", "LU", "ES", "IT"])
    cw = np.array([30, 15, 10, 9, 6, 6, 5, 4, 3, 3, 3, 3, 2, 1], dtype=float)
    lou_by_country = {"US": "5493", "GB": "2138", "DE": "5299", "FR": "9695", "JP": "3538", "CH": "5067"}
    cp_country = countries[rng.choice(len(countries), size=n_cp, p=cw / cw.sum())]
    names: set[str] = set()
    cp_names, cp_leis, cp_bics = [], [], []
    bic_taken: set[str] = set()
    for i in range(n_cp):
        while True:
            nm = f"{_W1[rng.integers(len(_W1))]}{_W2[rng.integers(len(_W2))]} {_SUFFIX[cp_types[i]][rng.integers(len(_SUFFIX[cp_types[i]]))]}"
            if nm not in names:
                names.add(nm)
                break
        cp_names.append(nm)
        cp_leis.append(make_lei(rng, lou_by_country.get(str(cp_country[i]), "5493"), taken))
        while True:
            inst = "".join(LETTERS[rng.integers(0, 26, 4)])
            if inst not in bic_taken:
                bic_taken.add(inst)
                break
        loc = "".join(ALNUM[rng.integers(0, 36, 2)])
        bic = f"{inst}{cp_country[i]}{loc}" + ("XXX" if rng.random() < 0.3 else "")
        cp_bics.append(bic)
    cp_rating = np.array(RATINGS)[rng.choice(len(RATINGS), size=n_cp, p=RATING_W / RATING_W.sum())]
    cp_ids = np.array([f"CP{i + 1:04d}" for i in range(n_cp)])
    types_a = np.array(cp_types)
    parent = np.array([None] * n_cp, dtype=object)
    bank_idx = np.flatnonzero(types_a == "Banks")
    parents = bank_idx[:8]
    children = rng.choice(np.setdiff1d(np.arange(n_cp), parents), size=24, replace=False)
    parent[children] = cp_ids[parents[rng.integers(0, len(parents), size=len(children))]]
    counterparties = pl.DataFrame(
        {
            "counterparty_id": cp_ids, "name": cp_names, "lei": cp_leis, "bic": cp_bics,
            "rating": cp_rating, "country": cp_country, "sector": types_a,
            "parent_id": pl.Series(parent.tolist(), dtype=pl.String),
        }
    )
    cp_weight = 1.0 / (1.0 + np.arange(n_cp)) ** 0.8
    cp_weight = cp_weight[rng.permutation(n_cp)]
    otc = np.concatenate([bank_idx[:40], np.flatnonzero(types_a == "Hedge Funds")[:10],
                          np.flatnonzero(types_a == "Corporates")[:5]])
    cp_pool = {
        "CASH": np.flatnonzero(np.isin(types_a, ["Banks", "Broker-Dealers", "Asset Managers", "Hedge Funds",
                                                  "Insurance", "Pension Funds"])),
        "FX": np.flatnonzero(np.isin(types_a, ["Banks", "Corporates", "Asset Managers", "Hedge Funds"])),
        "OTC": np.sort(otc),
        "FUT": np.flatnonzero(types_a == "Broker-Dealers"),
    }

    # ---- instruments -------------------------------------------------------------------------
    rows: list[dict[str, object]] = []
    price_start_d = price_start.astype(object)

    def add(**kw: object) -> None:
        base: dict[str, object] = {
            "isin": "", "mult": (1, 1), "pscale": 2, "desk": 0, "custodian": -1, "pset": "", "lag": 2, "lot": 1,
            "weight": 0.0, "has_price": True, "p0": 100.0, "vol": 0.01, "coupon": 0.0, "freq": 0, "daycount": "",
            "issue": None, "maturity": None, "tenor_bd": 0, "tenor_y": 0, "underlying": -1, "issuer": None,
            "sector": None, "country": None, "rating": None, "is_index": False, "commodity": None, "region": -1,
            "sector_idx": -1, "liquidity": None, "underlying_txt": None, "quote_ccy": None, "bccy": -1,
        }
        base.update(kw)
        rows.append(base)

    # equities: market -> (count, currency, ISIN prefix, custodian, PSET, region)
    markets = [("US", 60, "USD", "US", 0, "DTCYUS33", 0), ("DE", 15, "EUR", "DE000", 1, "DAKVDEFF", 1),
               ("FR", 15, "EUR", "FR0000", 1, "SICVFRPP", 1), ("NL", 10, "EUR", "NL00", 1, "NECINL2A", 1),
               ("GB", 20, "GBP", "GB00", 2, "CRSTGB22", 2), ("JP", 15, "JPY", "JP3", 2, "JJSDJPJT", 3),
               ("CH", 15, "CHF", "CH00", 2, "INSECHZZ", 4)]
    co_names: set[str] = set()
    equity_rows: list[int] = []
    for country, count, ccy, prefix, cust, pset, region in markets:
        isins = make_isins(rng, [prefix] * count, taken)
        for k in range(count):
            while True:
                nm = f"{_W1[rng.integers(len(_W1))]}{_W2[rng.integers(len(_W2))]} {_CO_SUFFIX[rng.integers(len(_CO_SUFFIX))]}"
                if nm not in co_names and nm not in names:
                    co_names.add(nm)
                    break
            sec = int(rng.integers(len(SECTORS)))
            liquid = rng.random() < 0.8
            p0 = float(np.exp(rng.normal(np.log(4000 if ccy == "JPY" else 80), 0.7)))
            equity_rows.append(len(rows))
            add(iid=isins[k], isin=isins[k], ac="EQUITY", name=f"{nm} ordinary shares", ccy=ccy, issuer=nm,
                sector=SECTORS[sec], sector_idx=sec, country=country, pscale=0 if ccy == "JPY" else 2, desk=0,
                custodian=cust, pset=pset, lag=2, lot=100 if ccy == "JPY" else 10,
                weight=(3.0 if liquid else 0.6) * float(rng.uniform(0.5, 1.5)), p0=p0,
                vol=float(rng.uniform(0.012, 0.025) * (1.0 if liquid else 1.4)), region=region,
                liquidity="LIQUID" if liquid else "ILLIQUID")
    # government bonds
    govts = [("US", 12, "USD", "US91282", 0, "FRNYUS33", "United States Treasury", 2),
             ("DE", 6, "EUR", "DE0001", 1, "DAKVDEFF", "Federal Republic of Germany", 1),
             ("FR", 4, "EUR", "FR0014", 1, "SICVFRPP", "French Republic", 1),
             ("GB", 5, "GBP", "GB00B", 2, "CRSTGB22", "United Kingdom", 2),
             ("JP", 3, "JPY", "JP110", 2, "JJSDJPJT", "Japan", 2)]
    for country, count, ccy, prefix, cust, pset, issuer, freq in govts:
        isins = make_isins(rng, [prefix] * count, taken)
        for k in range(count):
            years = int(rng.choice([2, 3, 5, 7, 10, 20, 30]))
            mat = date(end_d.year + int(rng.integers(1, years + 1)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            issue = date(min(mat.year - years, price_start_d.year - 1), mat.month, mat.day)
            cpn = round(float(rng.uniform(0.5, 4.75)) * 8) / 800
            add(iid=isins[k], isin=isins[k], ac="GOVT_BOND", name=f"{issuer} {cpn * 100:.3f}% {mat:%Y-%m-%d}", ccy=ccy,
                issuer=issuer, sector="Sovereign", country=country, mult=(1, 100), pscale=4, desk=2, custodian=cust,
                pset=pset, lag=1, lot=10000 if ccy != "JPY" else 1000000, weight=2.0, p0=100.0, vol=0.003,
                coupon=cpn, freq=freq, daycount="ACT/ACT", issue=issue, maturity=mat, rating="AA+")
    # corporate bonds on equity issuers
    corp_ccys = [("USD", 25, "US", 0, "DTCYUS33", "30/360", 2), ("EUR", 20, "XS", 1, "MGTCBEBE", "ACT/ACT", 1),
                 ("GBP", 5, "XS", 1, "MGTCBEBE", "ACT/ACT", 1)]
    corp_issuer_rows = rng.choice(equity_rows, size=50, replace=False)
    ci = 0
    for ccy, count, prefix, cust, pset, dc, freq in corp_ccys:
        isins = make_isins(rng, [prefix] * count, taken)
        for k in range(count):
            er = rows[int(corp_issuer_rows[ci])]
            ci += 1
            years = int(rng.choice([3, 5, 7, 10]))
            mat = date(end_d.year + int(rng.integers(1, years + 1)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            issue = date(min(mat.year - years, price_start_d.year - 1), mat.month, mat.day)
            cpn = round(float(rng.uniform(1.5, 7.5)) * 8) / 800
            rating = str(RATINGS[int(rng.integers(3, 13))])
            add(iid=isins[k], isin=isins[k], ac="CORP_BOND", name=f"{er['issuer']} {cpn * 100:.3f}% {mat:%Y-%m-%d}",
                ccy=ccy, issuer=er["issuer"], sector=er["sector"], sector_idx=er["sector_idx"], country=er["country"],
                mult=(1, 100), pscale=4, desk=3, custodian=cust, pset=pset, lag=2, lot=10000, weight=1.2, p0=100.0,
                vol=0.004, coupon=cpn, freq=freq, daycount=dc, issue=issue, maturity=mat, rating=rating)
    # FX spot and forwards
    spot_pairs = ["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "USDCAD", "AUDUSD", "USDSEK", "USDNOK", "USDHKD", "EURGBP"]
    for pair in spot_pairs:
        b_, q_ = pair[:3], pair[3:]
        add(iid=f"FX-{pair}", ac="FX_SPOT", name=f"{b_}/{q_} spot", ccy=q_, quote_ccy=q_, bccy=ccy_ix[b_],
            underlying_txt=pair, pscale=3 if q_ == "JPY" else 5, desk=4, lag=2, lot=10000, weight=2.0, vol=0.005)
    for pair in spot_pairs[:6]:
        for tenor, bd in (("1M", 21), ("3M", 63), ("6M", 126)):
            b_, q_ = pair[:3], pair[3:]
            add(iid=f"FXF-{pair}-{tenor}", ac="FX_FORWARD", name=f"{b_}/{q_} forward {tenor}", ccy=q_, quote_ccy=q_,
                bccy=ccy_ix[b_], underlying_txt=pair, pscale=3 if q_ == "JPY" else 5, desk=4, lag=bd, tenor_bd=bd,
                lot=10000, weight=0.6, vol=0.005)
    # listed futures
    def third_friday(y: int, m: int) -> date:
        d = date(y, m, 1)
        return d + timedelta(days=(4 - d.weekday()) % 7 + 14)

    y1 = end_d.year
    futs = [("ES", "E-mini S&P 500", "USD", 50, "SPX", 1, 5800.0, 0, 0.011),
            ("NQ", "E-mini Nasdaq-100", "USD", 20, "NDX", 1, 20500.0, 0, 0.014),
            ("FESX", "EURO STOXX 50", "EUR", 10, "SX5E", 1, 4900.0, 1, 0.011),
            ("FDAX", "DAX", "EUR", 25, "DAX", 1, 19000.0, 1, 0.011),
            ("Z", "FTSE 100", "GBP", 10, "UKX", 1, 8200.0, 2, 0.009),
            ("NK", "Nikkei 225", "JPY", 1000, "NKY", 1, 38000.0, 3, 0.013),
            ("ZN", "10-Year T-Note", "USD", 1000, "UST10Y", 2, 110.0, -1, 0.004),
            ("FGBL", "Euro-Bund", "EUR", 1000, "BUND10Y", 2, 131.0, -1, 0.004),
            ("CL", "WTI Crude Oil", "USD", 1000, "CRUDE_OIL", 5, 75.0, -2, 0.02),
            ("GC", "Gold", "USD", 100, "GOLD", 5, 2400.0, -2, 0.01)]
    for code, nm, ccy, mult, und, desk, p0, region, vol in futs:
        for mth, letter in ((12, "Z"), (3, "H")) if code in ("ES", "FESX") else ((12, "Z"),):
            yy = y1 + (1 if mth == 3 or end_d.month == 12 else 0)
            mat = third_friday(yy, mth)
            add(iid=f"FUT-{code}{letter}{yy % 10}", ac="FUTURE", name=f"{nm} future {mat:%b %Y}", ccy=ccy,
                mult=(mult, 1), underlying_txt=und, desk=desk, lag=1, lot=1, weight=1.0, p0=p0, vol=vol,
                maturity=mat, region=region, pscale=JPY0(ccy))
    # OTC interest rate swaps
    for ccy, idx_name in (("USD", "SOFR"), ("EUR", "ESTR"), ("GBP", "SONIA")):
        for ty in (2, 5, 10, 30):
            add(iid=f"IRS-{ccy}-{idx_name}-{ty}Y", ac="IRS", name=f"{ccy} {idx_name} swap {ty}Y", ccy=ccy,
                underlying_txt=idx_name, desk=2, lag=2, lot=1000000, weight=0.25, has_price=False, tenor_y=ty,
                mult=(1, 100))
    # CDS: single names on corporate bond issuers, and indices
    corp_rows = [r for r in rows if r["ac"] == "CORP_BOND"]
    for r in corp_rows[:10]:
        short = str(r["issuer"]).split(" ")[0].upper()
        add(iid=f"CDS-{short}-5Y", ac="CDS", name=f"{r['issuer']} CDS 5Y", ccy=r["ccy"], issuer=r["issuer"],
            sector=r["sector"], country=r["country"], rating=r["rating"], desk=3, lag=1, lot=1000000, weight=0.2,
            has_price=False, tenor_y=5, mult=(1, 100))
    for nm, ccy, rating in (("CDX.NA.IG", "USD", "BBB+"), ("CDX.NA.HY", "USD", "BB-"), ("ITRAXX EUROPE MAIN", "EUR", "A-"),
                            ("ITRAXX CROSSOVER", "EUR", "BB"), ("ITRAXX SENIOR FINANCIALS", "EUR", "A")):
        add(iid=f"CDX-{nm.replace(' ', '_').replace('.', '_')}-5Y", ac="CDS", name=f"{nm} 5Y", ccy=ccy, issuer=nm,
            rating=rating, is_index=True, desk=3, lag=1, lot=1000000, weight=0.2, has_price=False, tenor_y=5,
            mult=(1, 100))
    # commodity forwards
    for com, p0, vol in (("CRUDE_OIL", 75.0, 0.02), ("NATURAL_GAS", 3.2, 0.03), ("ELECTRICITY", 60.0, 0.035),
                         ("GOLD", 2400.0, 0.01), ("SILVER", 30.0, 0.016), ("COPPER", 9000.0, 0.014),
                         ("WHEAT", 6.0, 0.017), ("CORN", 4.5, 0.016)):
        add(iid=f"CFWD-{com}", ac="COMMODITY_FWD", name=f"{com.replace('_', ' ').title()} forward", ccy="USD",
            commodity=com, underlying_txt=com, desk=5, lag=2, lot=100, weight=0.25, p0=p0, vol=vol, region=-2)
    # OTC equity options on liquid equities
    liquid_eq = [i for i in equity_rows if rows[i]["liquidity"] == "LIQUID"][:10]
    for i in liquid_eq:
        r = rows[i]
        add(iid=f"OPT-{r['iid']}", ac="OPTION", name=f"{r['issuer']} OTC option", ccy=r["ccy"], issuer=r["issuer"],
            sector=r["sector"], country=r["country"], underlying=i, underlying_txt=r["iid"], desk=1, lag=2,
            lot=100, weight=0.25, has_price=False)

    col = lambda k: [r[k] for r in rows]  # noqa: E731
    mult_arr = np.array(col("mult"))
    ins_ccy = np.array([ccy_ix[str(c)] for c in col("ccy")])
    issue_arr = np.array([np.datetime64(str(d), "D") if d else np.datetime64("NaT") for d in col("issue")],
                         dtype="datetime64[D]")
    maturity_arr = np.array([np.datetime64(str(d), "D") if d else np.datetime64("NaT") for d in col("maturity")],
                            dtype="datetime64[D]")
    instruments = pl.DataFrame(
        {
            "instrument_id": col("iid"),
            "isin": [s or None for s in col("isin")],
            "name": col("name"),
            "asset_class": col("ac"),
            "currency": col("ccy"),
            "issuer": col("issuer"),
            "sector": col("sector"),
            "country": col("country"),
            "price_multiplier": [f"{n / d:g}" if d == 1 else f"{n / d:.2f}" for n, d in mult_arr],
            "coupon_rate": [f"{c:.6f}".rstrip("0").rstrip(".") if c else None for c in col("coupon")],
            "coupon_freq": [f or None for f in col("freq")],
            "day_count": [d or None for d in col("daycount")],
            "issue_date": pl.Series(issue_arr).cast(pl.Date),
            "maturity_date": pl.Series(maturity_arr).cast(pl.Date),
            "underlying": col("underlying_txt"),
            "quote_currency": col("quote_ccy"),
            "liquidity": col("liquidity"),
        },
        schema_overrides={"issuer": pl.String, "sector": pl.String, "country": pl.String, "underlying": pl.String,
                          "quote_currency": pl.String, "liquidity": pl.String, "coupon_freq": pl.Int64},
    )

    # ---- accounts (ours and counterparty SSIs) ------------------------------------------------
    account_id = np.empty((n_le, len(CUSTODIANS)), dtype=object)
    cash_account = np.empty((n_le, len(CUSTODIANS)), dtype=object)
    acc_rows: list[tuple[object, ...]] = []
    cust_country = {"CUST_A": "US", "CUST_B": "BE", "CUST_C": "GB"}
    for li, le_row in enumerate(les):
        for ci_, cust_name in enumerate(CUSTODIANS):
            aid = f"{cust_name.replace('_', '')}-{le_row[0].split('-')[1]}-SK{li + 1}{ci_ + 1:02d}"
            if cust_country[cust_name] == "US":
                cash = f"0260{int(rng.integers(10**11, 10**12))}"
            else:
                bban = ("CUSB" if cust_name == "CUST_B" else "CUSC") + "".join(DIGITS[rng.integers(0, 10, 14)])
                cash = cust_country[cust_name] + iban_check_digits(cust_country[cust_name], bban) + bban
            account_id[li, ci_] = aid
            cash_account[li, ci_] = cash
            acc_rows.append((aid, cust_name, CUSTODIAN_BICS[cust_name], le_row[0], None, None, cash, None))
    psets = ("DTCYUS33", "FRNYUS33", "DAKVDEFF", "SICVFRPP", "NECINL2A", "MGTCBEBE", "CRSTGB22", "JJSDJPJT", "INSECHZZ")
    market_pset = (("US", "DTCYUS33", "USD"), ("EU", "MGTCBEBE", "EUR"), ("GB", "CRSTGB22", "GBP"))
    for i in cp_pool["CASH"]:
        for mk, pset, ccy in market_pset:
            agent = f"AGENT_{cp_bics[(i + 7) % n_cp][:4]}"
            acc_rows.append((f"SSI-{cp_ids[i]}-{mk}", agent, cp_bics[(i + 7) % n_cp][:8] + "XXX", None, str(cp_ids[i]),
                             pset, f"{cp_ids[i]}-{ccy}-{int(rng.integers(10**7, 10**8))}", ccy))
    accounts = pl.DataFrame(acc_rows, schema=["account_id", "custodian", "custodian_bic", "legal_entity_id",
                                              "counterparty_id", "place_of_settlement", "cash_account", "currency"],
                            orient="row")

    # ---- netting sets (OTC counterparties x legal entities) -----------------------------------
    ns_id = np.full((n_cp, n_le), "", dtype=object)
    ns_rows = []
    for i in cp_pool["OTC"]:
        margined_p = 0.2 if types_a[i] == "Corporates" else 0.8
        for li, le_row in enumerate(les):
            nid = f"NS-{cp_ids[i]}-{le_row[0].split('-')[1]}"
            ns_id[i, li] = nid
            margined = bool(rng.random() < margined_p)
            th = float(rng.choice([0, 0, 1e6, 5e6, 10e6])) if margined else 0.0
            mta = float(rng.choice([250e3, 500e3])) if margined else 0.0
            coll = float(round(rng.normal(0, 3e6), -3)) if margined else 0.0
            ns_rows.append((nid, str(cp_ids[i]), le_row[0], margined, f"{th:.2f}", f"{mta:.2f}",
                            "0.00" if not margined else f"{float(rng.choice([0, 0, 1e6, 2e6])):.2f}",
                            f"{coll:.2f}", 10 if margined else 20))
    netting_sets = pl.DataFrame(ns_rows, schema=["netting_set_id", "counterparty_id", "legal_entity_id", "margined",
                                                 "threshold", "mta", "nica", "collateral_held", "mpor_days"],
                                orient="row")

    holidays = _holidays(int(str(price_start)[:4]), end_d.year + 1)

    return Reference(
        legal_entities=le_frame, books=books, counterparties=counterparties, instruments=instruments,
        accounts=accounts, netting_sets=netting_sets, holidays=holidays,
        le_id=np.array([x[0] for x in les]),
        desks=desks, book_id=books["book_id"].to_numpy(), book_desk=book_desk_a, book_le=book_le_a,
        book_traders=np.array(book_tr), trader_name=np.array(trader_names),
        desk_books=desk_books, desk_nbooks=desk_nbooks, desk_le_books=desk_le_books, desk_le_nbooks=desk_le_nbooks,
        cp_id=cp_ids, cp_bic=np.array(cp_bics), cp_name=np.array(cp_names), cp_rating=cp_rating,
        cp_sector=types_a, cp_weight=cp_weight, cp_pool=cp_pool,
        ins_id=np.array(col("iid")), ins_isin=np.array(col("isin")), ins_ac=np.array(col("ac")),
        ins_ccy=ins_ccy,
        ins_qccy=ins_ccy.copy(), ins_bccy=np.array(col("bccy")),
        ins_mult_num=mult_arr[:, 0].astype(np.int64), ins_mult_den=mult_arr[:, 1].astype(np.int64),
        ins_pscale=np.array(col("pscale"), dtype=np.int64), ins_desk=np.array(col("desk")),
        ins_custodian=np.array(col("custodian")), ins_pset=np.array(col("pset")),
        ins_lag=np.array(col("lag"), dtype=np.int64), ins_lot=np.array(col("lot"), dtype=np.int64),
        ins_weight=np.array(col("weight"), dtype=float), ins_has_price=np.array(col("has_price")),
        ins_p0=np.array(col("p0"), dtype=float), ins_vol=np.array(col("vol"), dtype=float),
        ins_coupon=np.array(col("coupon"), dtype=float), ins_freq=np.array(col("freq"), dtype=np.int64),
        ins_daycount=np.array(col("daycount")), ins_issue=issue_arr, ins_maturity=maturity_arr,
        ins_tenor_bd=np.array(col("tenor_bd"), dtype=np.int64), ins_tenor_y=np.array(col("tenor_y"), dtype=np.int64),
        ins_underlying=np.array(col("underlying"), dtype=np.int64),
        ins_issuer=np.array([x or "" for x in col("issuer")]), ins_sector=np.array([x or "" for x in col("sector")]),
        ins_country=np.array([x or "" for x in col("country")]), ins_rating=np.array([x or "" for x in col("rating")]),
        ins_is_index=np.array(col("is_index")), ins_commodity=np.array([x or "" for x in col("commodity")]),
        ins_region=np.array(col("region")), ins_sector_idx=np.array(col("sector_idx")),
        account_id=account_id, cash_account=cash_account, psets=psets, ns_id=ns_id,
    )


def JPY0(ccy: str) -> int:  # noqa: N802 - tiny helper: price decimals of a future in this currency
    return 0 if ccy == "JPY" else 2
