#!/usr/bin/python3
"""The first ClientHello of each QUIC flow of a capture as tshark 4.0 decodes it (tshark
opens the Initials itself), with the JA4 those fields give by FoxIO's definition, for the
QUIC oracle (quic_oracle_test.cpp). One TSV line per flow:
    src  sport  dst  dport  sni  alpn  ja3  ja4
tshark 4.0 has no JA4 field: JA4 is computed here from the decoded cipher suites,
extensions, signature algorithms, supported_versions and ALPN.
    tests/oracle/quic_tshark_reference.py CAPTURE
"""
import hashlib
import subprocess
import sys

FIELDS = [
    "ip.src", "ipv6.src", "udp.srcport", "ip.dst", "ipv6.dst", "udp.dstport",
    "tls.handshake.type", "tls.handshake.version", "tls.handshake.ciphersuite",
    "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
    "tls.handshake.extensions.supported_version", "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str", "tls.handshake.ja3",
]


def grease(value):
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def numbers(text):
    return [int(v, 0) for v in text.split(",") if v]


def digest(items):
    if not items:
        return "000000000000"
    return hashlib.sha256(",".join(items).encode()).hexdigest()[:12]


VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}


def ja4(handshake_version, ciphers, extensions, signatures, versions, sni, alpn):
    ciphers = [c for c in ciphers if not grease(c)]
    extensions = [e for e in extensions if not grease(e)]
    versions = [v for v in versions if not grease(v)]
    version = VERSIONS.get(max(versions) if versions else handshake_version, "00")
    has_sni = "d" if 0 in extensions else "i"
    first = alpn.split(",")[0] if alpn else ""
    if not first:
        alpn_part = "00"
    elif ord(first[0]) > 0x7F:
        alpn_part = "99"
    else:
        alpn_part = first[0] + first[-1]
    head = "q%s%s%02d%02d%s" % (version, has_sni, min(len(ciphers), 99),
                                min(len(extensions), 99), alpn_part)
    part_b = digest(sorted("%04x" % c for c in ciphers))
    rest = sorted("%04x" % e for e in extensions if e not in (0x0000, 0x0010))
    text = ",".join(rest)
    if signatures:
        text += "_" + ",".join("%04x" % s for s in signatures)
    part_c = "000000000000" if not rest else hashlib.sha256(text.encode()).hexdigest()[:12]
    return "%s_%s_%s" % (head, part_b, part_c)


def main(capture):
    command = ["tshark", "-n", "-r", capture, "-Y", "quic && tls.handshake.type == 1",
               "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
               "-E", "aggregator=,"]
    for field in FIELDS:
        command += ["-e", field]
    rows = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    seen = set()
    for line in rows.splitlines():
        f = dict(zip(FIELDS, line.split("\t")))
        types = f["tls.handshake.type"].split(",")
        if types.count("1") != 1:
            continue  # several hellos in one frame: their fields cannot be told apart
        src = (f["ip.src"] or f["ipv6.src"]).split(",")[-1]
        dst = (f["ip.dst"] or f["ipv6.dst"]).split(",")[-1]
        sport = f["udp.srcport"].split(",")[-1]
        dport = f["udp.dstport"].split(",")[-1]
        key = (src, sport, dst, dport)
        if key in seen:
            continue
        seen.add(key)
        fingerprint = ja4(int(f["tls.handshake.version"].split(",")[0] or "0", 0),
                          numbers(f["tls.handshake.ciphersuite"]),
                          numbers(f["tls.handshake.extension.type"]),
                          numbers(f["tls.handshake.sig_hash_alg"]),
                          numbers(f["tls.handshake.extensions.supported_version"]),
                          f["tls.handshake.extensions_server_name"],
                          f["tls.handshake.extensions_alpn_str"])
        print("\t".join([src, sport, dst, dport, f["tls.handshake.extensions_server_name"],
                         f["tls.handshake.extensions_alpn_str"], f["tls.handshake.ja3"],
                         fingerprint]))


if __name__ == "__main__":
    main(sys.argv[1])
