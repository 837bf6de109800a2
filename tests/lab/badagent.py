#!/usr/bin/env python3
"""badagent.py - SNMP agents that misbehave, one fault per address.

Run inside the lab namespace (the lab test starts it there):

    badagent.py MODE=ADDRESS [MODE=ADDRESS ...]

Every agent answers v1/v2c requests with community "public" from a small
system group and an interface table of 4 rows, like a real device, except
for its fault:

  malformed      every answer is bytes that are not BER
  truncated      every answer is cut in the middle
  wrongid        answers carry a request id that was not asked
  huge           answers hold a 60 kB sysDescr and 150 varbinds nobody asked for
  nonincreasing  walks answer the OID that was asked, again (no progress)
  endless        walks never end: every answer is a row after the last
  late           the system group is answered, everything else 3 s late
  duplicate      every answer is sent twice
  otheraddr      answers come from another address (the next one up)
  silence        nothing at all

Hand-rolled BER (only what SNMP requests need): no dependency beyond the
standard library, and every byte it sends is one we chose.
"""

import select
import socket
import sys
import time

SYS = (1, 3, 6, 1, 2, 1, 1)
IFDESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IFTYPE = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    elif n < 0x100:
        head = bytes([0x81, n])
    elif n < 0x10000:
        head = bytes([0x82, n >> 8, n & 0xFF])
    else:
        head = bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])
    return bytes([tag]) + head + body


def enc_int(v):
    out = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, out)


def enc_oid(arcs):
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def read_tlv(data, i):
    tag = data[i]
    n = data[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[i:i + k], "big")
        i += k
    return tag, data[i:i + n], i + n


def dec_int(body):
    return int.from_bytes(body, "big", signed=True)


def dec_oid(body):
    arcs = [body[0] // 40, body[0] % 40]
    v = 0
    for b in body[1:]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    return tuple(arcs)


def parse(data):
    """(version, community, pdu tag, request id, a, b, [oids])"""
    _, msg, _ = read_tlv(data, 0)
    _, ver, i = read_tlv(msg, 0)
    _, comm, i = read_tlv(msg, i)
    tag, pdu, _ = read_tlv(msg, i)
    _, rid, j = read_tlv(pdu, 0)
    _, a, j = read_tlv(pdu, j)
    _, b, j = read_tlv(pdu, j)
    _, vbl, _ = read_tlv(pdu, j)
    oids, k = [], 0
    while k < len(vbl):
        _, vb, k = read_tlv(vbl, k)
        _, o, _ = read_tlv(vb, 0)
        oids.append(dec_oid(o))
    return dec_int(ver), comm, tag, dec_int(rid), dec_int(a), dec_int(b), oids


def mib(mode):
    """The objects of the agent, sorted: (oid, encoded value)."""
    descr = b"badagent: " + mode.encode()
    if mode == "huge":
        descr = b"X" * 60_000
    objs = {
        SYS + (1, 0): tlv(0x04, descr),
        SYS + (2, 0): enc_oid((1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)),
        SYS + (3, 0): tlv(0x43, (123456).to_bytes(3, "big")),
        SYS + (5, 0): tlv(0x04, ("bad-" + mode).encode()),
        (1, 3, 6, 1, 2, 1, 2, 1, 0): enc_int(4),
    }
    for n in range(1, 5):
        objs[IFDESCR + (n,)] = tlv(0x04, b"eth%d" % n)
        objs[IFTYPE + (n,)] = enc_int(6)
    return sorted(objs.items())


def after(objects, oid):
    for o, v in objects:
        if o > oid:
            return o, v
    return oid, b"\x82\x00"  # endOfMibView


def answer(mode, req, objects, asked_count):
    ver, comm, tag, rid, a, b, oids = req
    vbs = []
    if tag == 0xA0:  # get
        table = dict(objects)
        for o in oids:
            vbs.append((o, table.get(o, b"\x80\x00" if ver else tlv(0x05, b""))))
    elif tag in (0xA1, 0xA5):  # getnext, getbulk
        reps = max(1, b) if tag == 0xA5 else 1
        cursors = list(oids)
        for _ in range(reps):
            for k, o in enumerate(cursors):
                if mode == "nonincreasing":
                    nxt = (o, tlv(0x04, b"same again"))
                elif mode == "endless" and o[:len(IFDESCR)] in (IFDESCR, IFTYPE):
                    last = o[len(IFDESCR)] if len(o) > len(IFDESCR) else 0
                    nxt = (o[:len(IFDESCR)] + (last + 1,), tlv(0x04, b"more"))
                else:
                    nxt = after(objects, o)
                cursors[k] = nxt[0]
                vbs.append(nxt)
    else:
        return None
    if mode == "huge":
        vbs += [((1, 3, 6, 1, 4, 1, 99999, n), tlv(0x04, b"unasked")) for n in range(150)]
    vbl = b"".join(tlv(0x30, enc_oid(o) + v) for o, v in vbs)
    if mode == "wrongid":
        rid = (rid + 1) & 0x7FFFFFFF
    pdu = enc_int(rid) + enc_int(0) + enc_int(0) + tlv(0x30, vbl)
    out = tlv(0x30, enc_int(ver) + tlv(0x04, comm) + tlv(0xA2, pdu))
    if mode == "malformed":
        return b"\x30\x84\xff\xff\xff\xff" + out[2:40]
    if mode == "truncated":
        return out[: len(out) // 2]
    return out


def main():
    socks = {}
    for arg in sys.argv[1:]:
        mode, addr = arg.split("=")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, 161))
        other = None
        if mode == "otheraddr":
            parts = addr.split(".")
            parts[3] = str(int(parts[3]) + 1)
            other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            other.bind((".".join(parts), 161))
        socks[s] = (mode, mib(mode), other)
    pending = []  # (due, sock, data, to)
    print("badagent ready", flush=True)
    while True:
        now = time.monotonic()
        timeout = max(0.0, min((p[0] for p in pending), default=now + 1) - now)
        ready, _, _ = select.select(list(socks), [], [], timeout)
        for s in ready:
            data, peer = s.recvfrom(65535)
            mode, objects, other = socks[s]
            if mode == "silence":
                continue
            try:
                req = parse(data)
            except (IndexError, ValueError):
                continue
            if req[1] != b"public":
                continue
            try:
                out = answer(mode, req, objects, 0)
            except (ValueError, OverflowError, IndexError) as e:
                # one request this script cannot answer must not stop the
                # other agents: say so and go on
                print("badagent: %s: %s" % (mode, e), file=sys.stderr, flush=True)
                continue
            if out is None:
                continue
            system_only = all(o[:len(SYS)] == SYS for o in req[6])
            delay = 3.0 if mode == "late" and not system_only else 0.0
            via = other if other else s
            for _ in range(2 if mode == "duplicate" else 1):
                pending.append((now + delay, via, out, peer))
        now = time.monotonic()
        due = [p for p in pending if p[0] <= now]
        pending = [p for p in pending if p[0] > now]
        for _, sock, out, peer in due:
            try:
                sock.sendto(out, peer)
            except OSError:
                pass


if __name__ == "__main__":
    main()
