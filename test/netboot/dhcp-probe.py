#!/usr/bin/python3
"""
An independent DHCP client for the mixed-lab test: scapy frames the requests and decodes the
answers (BOOTP fields, option names); the option TLVs are also walked here from the raw bytes, so
no boardkit code reads what boardkit sent.

Usage: dhcp-probe.py IFACE < probes.json
probes.json: [{"mac": "..", "kind": "uboot|rpi4|uefi", "xid": N,
               "request": {"ip": "..", "server": ".."} (optional)}]
Prints one JSON object: {"results": [{"mac", "offers": [...], "acks": [...]}]}
"""
import json
import sys
import time

from scapy.all import AsyncSniffer, BOOTP, DHCP, Ether, IP, UDP, conf, raw, sendp  # noqa: E402

conf.verb = 0
conf.checkIPaddr = False

COOKIE = bytes([99, 130, 83, 99])  # RFC 2131 section 3


def opt(code, value):
    return bytes([code, len(value)]) + value


def client_options(kind, msg_type, mac, request=None):
    """The options each client sends, as U-Boot (net/bootp.c), the Pi 4 EEPROM and EDK2 PXE send them."""
    o = opt(53, bytes([msg_type]))
    if kind == "uboot":
        # U-Boot on RISC-V: option 60 "U-Boot", no option 93 (net/bootp.c).
        o += opt(57, (576).to_bytes(2, "big")) + opt(55, bytes([1, 3, 12, 15, 28, 42, 66, 67, 209])) + opt(60, b"U-Boot")
    elif kind == "rpi4":
        # Pi 4 EEPROM: PXEClient:Arch:00000:UNDI:002001, 93=0, 94=01 02 01, 97 = "RPi4" | rev | MAC low 4 | serial.
        guid = b"RPi4" + bytes([0x00, 0x31, 0x11, 0x03]) + bytes.fromhex(mac.replace(":", ""))[2:] + bytes.fromhex("9ffefdef")
        o += opt(55, bytes([1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135]))
        o += opt(60, b"PXEClient:Arch:00000:UNDI:002001") + opt(93, bytes([0, 0])) + opt(94, bytes([1, 2, 1])) + opt(97, bytes([0]) + guid)
    elif kind == "uefi":
        # UEFI x64 PXE (EDK2/OVMF): PXEClient:Arch:00007:UNDI:003016, 93=7, 94=01 03 10, 97 = 0 + UUID.
        o += opt(55, bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]))
        o += opt(60, b"PXEClient:Arch:00007:UNDI:003016") + opt(93, bytes([0, 7])) + opt(94, bytes([1, 3, 16])) + opt(97, bytes(17))
    else:
        raise ValueError(kind)
    if request:
        o += opt(50, bytes(int(x) for x in request["ip"].split("."))) + opt(54, bytes(int(x) for x in request["server"].split(".")))
    return COOKIE + o + bytes([255])


def frame(mac, xid, kind, msg_type, request=None):
    chaddr = bytes.fromhex(mac.replace(":", "")) + bytes(10)
    bootp = BOOTP(op=1, xid=xid, flags=0x8000, chaddr=chaddr, options=client_options(kind, msg_type, mac, request))
    return Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / bootp


def tlvs(options_bytes):
    """Option code -> hex value, walked from the raw bytes after the cookie (RFC 2132 section 2)."""
    out = {}
    i = len(COOKIE)
    while i < len(options_bytes):
        code = options_bytes[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            break
        n = options_bytes[i + 1]
        out[str(code)] = options_bytes[i + 2 : i + 2 + n].hex()
        i += 2 + n
    return out


def describe(p):
    b = p[BOOTP]
    names = {}
    for o in p[DHCP].options if DHCP in p else []:
        if isinstance(o, tuple) and isinstance(o[0], str):
            v = o[1]
            names[o[0]] = v.decode("latin-1") if isinstance(v, bytes) else v
    return {
        "yiaddr": b.yiaddr,
        "siaddr": b.siaddr,
        "file": b.file.rstrip(b"\0").decode("latin-1"),
        "dst": p[Ether].dst,
        "named": {k: v for k, v in names.items() if isinstance(v, (str, int))},
        "options": tlvs(bytes(b.options) + raw(b.payload)),
    }


def exchange(iface, mac, xid, kind, msg_type, want, request=None, wait=3.0):
    """Sends one request and collects the replies of type `want` to it for `wait` seconds at most."""
    seen = []

    def keep(p):
        if BOOTP in p and DHCP in p and p[BOOTP].op == 2 and p[BOOTP].xid == xid:
            types = [o[1] for o in p[DHCP].options if isinstance(o, tuple) and o[0] == "message-type"]
            if types == [want]:
                seen.append(p)

    # No BPF filter: scapy compiles those with libpcap, which a minimal host may lack.
    sniffer = AsyncSniffer(iface=iface, lfilter=lambda p: UDP in p and p[UDP].dport == 68, prn=keep, store=False)
    sniffer.start()
    time.sleep(0.3)
    sendp(frame(mac, xid, kind, msg_type, request), iface=iface)
    deadline = time.time() + wait
    while time.time() < deadline and not seen:
        time.sleep(0.1)
    # A little longer: a second answer (a duplicate offer) would show here.
    time.sleep(0.3)
    sniffer.stop()
    return [describe(p) for p in seen]


def main():
    iface = sys.argv[1]
    results = []
    for probe in json.load(sys.stdin):
        r = {"mac": probe["mac"], "offers": exchange(iface, probe["mac"], probe["xid"], probe["kind"], 1, 2)}
        req = probe.get("request")
        if req:
            # SELECTING REQUEST: to our server (full mode, the offered address) or to another one (proxy).
            if req.get("ip") == "offered" and not r["offers"]:
                results.append(r)
                continue
            ip = r["offers"][0]["yiaddr"] if req.get("ip") == "offered" else req["ip"]
            r["acks"] = exchange(iface, probe["mac"], probe["xid"] + 1, probe["kind"], 3, 5, {"ip": ip, "server": req["server"]}, wait=2.0 if req.get("expectAck") else 1.0)
            r["requested"] = ip
        results.append(r)
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
