// TLS after a cleartext prologue through the real binary: the capture of real peers that
// tests/classifiers/tls/prologue/make_prologue_capture.sh made (committed beside it: SMTP,
// IMAP, POP3, FTP and XMPP STARTTLS from openssl s_client, curl through an HTTP CONNECT proxy
// and through SOCKS 5, and the negatives), and the captures of ../shared/pcaps whose TLS starts
// after a prologue. Each TCP flow's TLS values must equal the golden file; the values of both
// were checked against tshark 4.0 (SNI, JA3, JA3S, ALPN) and, for the SOCKS capture, against
// the JA4 reference's expected output.

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

std::string here() {
    return source_root() + "/tests/classifiers/tls/prologue";
}

std::string or_dash(const std::string& value) {
    return value.empty() ? "-" : value;
}

// One line per TCP flow: the capture's name, the server port and the TLS values.
std::vector<std::string> tls_lines(const std::vector<std::string>& names,
                                   const std::vector<std::string>& paths) {
    const std::string records = temp_dir() + "/prologue.jsonl";
    const CommandResult result = run_on_captures(paths, records, {"--workers", "1"});
    EXPECT_EQ(result.status, 0) << result.output;
    std::vector<std::string> lines;
    for (const std::string& line : read_lines(records)) {
        if (record_field(line, "proto") != "TCP") continue;
        const std::string port = record_field(line, "port");  // pcapN
        const size_t index = std::stoul(port.substr(4));
        lines.push_back(
            names.at(index) + " " + record_field(line, "dst_port") + " " +
            or_dash(record_field(line, "sni")) + " " + or_dash(record_field(line, "alpn")) + " " +
            or_dash(record_field(line, "ja3")) + " " + or_dash(record_field(line, "ja3s")) + " " +
            or_dash(record_field(line, "ja4")) + " " + or_dash(record_field(line, "cert_subject")));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::vector<std::string> golden(const std::string& name) {
    std::vector<std::string> lines = read_lines(here() + "/" + name);
    std::sort(lines.begin(), lines.end());
    return lines;
}

TEST(TlsPrologueCaptures, RealPeersBetweenNamespacesMatchGolden) {
    EXPECT_EQ(tls_lines({"prologue"}, {here() + "/prologue.pcap"}), golden("prologue.golden"));
}

TEST(TlsPrologueCaptures, SharedCorpusCapturesMatchGolden) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "../shared is absent: this test reads ../shared/pcaps";
    const std::vector<std::string> names = {"ja4/https-connect", "ndpi-4.2/smtp-starttls",
                                            "ndpi-4.2/imap-starttls", "ndpi-4.2/ftp-start-tls",
                                            "ja4/socks-https-example"};
    std::vector<std::string> paths;
    for (const std::string& name : names) paths.push_back(shared + "/pcaps/" + name + ".pcap");
    EXPECT_EQ(tls_lines(names, paths), golden("corpus.golden"));
}

}  // namespace
}  // namespace ottscope::test
