#!/usr/bin/python3
"""SIP full of recognisable subscriber values (numbers, URIs, Call-IDs, names), over UDP 5060
and cleartext TCP 443, for the test that none of them leaves the classifier.

Usage: make_subscriber_sip.py OUT.pcap   (prints the secret values, one a line)"""
import sys

from scapy.all import IP, TCP, UDP, Ether, wrpcap

SECRETS = ["+34699887766", "alice.secret", "callid-7f3e9a-SECRET", "SECRETCONTACT",
           "Alice Secretname", "secret-host.example", "4155550199"]

CLIENT, SERVER = "10.77.0.1", "10.77.0.2"


def message(first, method, via, cseq, extra="", body=""):
    headers = [first,
               f"Via: SIP/2.0/{via} {CLIENT}:5060;branch=z9hG4bK-1",
               f'From: "Alice Secretname" <sip:+34699887766@secret-host.example>;tag=a1',
               "To: <sip:alice.secret@secret-host.example>",
               "Call-ID: callid-7f3e9a-SECRET@secret-host.example",
               f"CSeq: {cseq} {method}",
               f"Contact: <sip:SECRETCONTACT@{CLIENT}:5060>",
               "User-Agent: TumeApp/3.2 (tel 4155550199)",
               f"Content-Length: {len(body)}"]
    if extra:
        headers.append(extra)
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def main():
    out = sys.argv[1]
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    back = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    packets = []
    t = 1_700_000_000.0

    def add(p):
        nonlocal t
        p.time = t
        t += 0.01
        packets.append(p)

    add(eth / IP(src=CLIENT, dst=SERVER) / UDP(sport=5060, dport=5060) /
        message("REGISTER sip:secret-host.example SIP/2.0", "REGISTER", "UDP", 1))
    add(back / IP(src=SERVER, dst=CLIENT) / UDP(sport=5060, dport=5060) /
        message("SIP/2.0 200 OK", "REGISTER", "UDP", 1))

    body = "v=0\r\no=+34699887766 1 1 IN IP4 10.77.0.1\r\ns=alice.secret\r\n"
    invite = message("INVITE sip:+34699887766@secret-host.example SIP/2.0", "INVITE", "TCP", 2,
                     "Content-Type: application/sdp", body)
    ok = message("SIP/2.0 200 OK", "INVITE", "TCP", 2)
    c, s = 1000, 5000
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="S", seq=c))
    add(back / IP(src=SERVER, dst=CLIENT) / TCP(sport=443, dport=40001, flags="SA", seq=s,
                                                  ack=c + 1))
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="A", seq=c + 1,
                                                 ack=s + 1))
    # The INVITE in two segments, so the classifier reads it from the reassembled stream.
    half = len(invite) // 2
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="PA", seq=c + 1,
                                                 ack=s + 1) / invite[:half])
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="PA",
                                                 seq=c + 1 + half, ack=s + 1) / invite[half:])
    add(back / IP(src=SERVER, dst=CLIENT) / TCP(sport=443, dport=40001, flags="PA", seq=s + 1,
                                                  ack=c + 1 + len(invite)) / ok)
    end_c, end_s = c + 1 + len(invite), s + 1 + len(ok)
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="FA", seq=end_c,
                                                 ack=end_s))
    add(back / IP(src=SERVER, dst=CLIENT) / TCP(sport=443, dport=40001, flags="FA", seq=end_s,
                                                  ack=end_c + 1))
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=40001, dport=443, flags="A", seq=end_c + 1,
                                                 ack=end_s + 1))
    wrpcap(out, packets)
    print("\n".join(SECRETS))


if __name__ == "__main__":
    main()
