"""Test helper: FIX messages built with simplefix (an independent encoder), written as logs."""

from __future__ import annotations

from pathlib import Path

import simplefix


def msg(pairs: list[tuple[int, str]], begin: str = "FIX.4.4") -> bytes:
    """One FIX message (BodyLength and CheckSum computed by simplefix)."""
    m = simplefix.FixMessage()
    m.append_pair(8, begin)
    for tag, value in pairs:
        m.append_pair(tag, value)
    return m.encode()


def fill(
    exec_id: str,
    *,
    qty: str = "100",
    px: str = "10",
    side: str = "1",
    order_id: str = "O1",
    symbol: str = "AAPL",
    isin: str | None = "US0378331005",
    exec_type: str = "F",
    ref: str | None = None,
    day: str = "20260105",
    sender: str = "BRKA",
    target: str = "MIDO",
    account: str = "ACC1",
    currency: str | None = "USD",
    extra: list[tuple[int, str]] | None = None,
    begin: str = "FIX.4.4",
    trans_type: str | None = None,
) -> bytes:
    """An execution report (35=8) for a fill, correction (exec_type G / trans_type 2) or cancel."""
    pairs: list[tuple[int, str]] = [
        (35, "8"), (49, sender), (56, target), (34, "1"), (52, f"{day}-10:00:00.000"),
        (1, account), (11, "C" + order_id), (17, exec_id),
    ]
    if trans_type is not None:
        pairs.append((20, trans_type))
    if ref is not None:
        pairs.append((19, ref))
    pairs += [(37, order_id), (54, side), (55, symbol)]
    if isin:
        pairs += [(48, isin), (22, "4")]
    if currency:
        pairs.append((15, currency))
    pairs += [(32, qty), (31, px), (60, f"{day}-10:00:00.000"), (150, exec_type)]
    pairs += extra or []
    return msg(pairs, begin)


def write_log(path: Path, messages: list[bytes], *, delimiter: bytes = b"\x01", prefix: bytes = b"") -> Path:
    lines = [prefix + (m.replace(b"\x01", delimiter) if delimiter != b"\x01" else m) for m in messages]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
