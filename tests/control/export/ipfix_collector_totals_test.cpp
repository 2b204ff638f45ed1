// Stock collectors with stock configurations count both directions of the default export
// (two unidirectional records per flow): pmacct's nfacctd without a primitives file, per app
// (its `class` primitive), and nfcapd + `nfdump -r`, in total. Each receives a run over UDP
// and its packet and byte totals must equal the JSON Lines records of the same run, client to
// server and server to client apart. nfdump is also run against the RFC 5103 biflow form,
// whose reverse counters it reads.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/control/export/collector_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

struct Totals {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    bool operator==(const Totals&) const = default;
};

// Keys: "c2s"/"s2c", or "APP c2s"/"APP s2c".
using TotalsBy = std::map<std::string, Totals>;

std::string text_of(const TotalsBy& totals) {
    std::ostringstream out;
    for (const auto& [key, t] : totals)
        out << "  " << key << ": " << t.packets << " packets, " << t.bytes << " bytes\n";
    return out.str();
}

void add(TotalsBy& totals, const std::string& key, uint64_t packets, uint64_t bytes) {
    if (packets == 0 && bytes == 0) return;
    totals[key].packets += packets;
    totals[key].bytes += bytes;
}

// What the JSON Lines records of a run say, and which direction each address and port
// tuple (source first) is.
struct Records {
    TotalsBy per_app;
    TotalsBy per_direction;
    std::map<std::string, std::string> direction_of;
    size_t flows = 0;
};

std::string tuple(const std::string& src, uint64_t src_port, const std::string& dst,
                  uint64_t dst_port) {
    return canonical_address(src) + "|" + std::to_string(src_port) + "|" + canonical_address(dst) +
           "|" + std::to_string(dst_port);
}

Records read_records(const std::string& path) {
    Records records;
    simdjson::dom::parser parser;
    for (const std::string& line : read_lines(path)) {
        if (line.empty()) continue;
        simdjson::dom::element r = parser.parse(line);
        const std::string app{std::string_view(r["app"])};
        const std::string src{std::string_view(r["src_ip"])};
        const std::string dst{std::string_view(r["dst_ip"])};
        const uint64_t sport = uint64_t(r["src_port"]);
        const uint64_t dport = uint64_t(r["dst_port"]);
        const uint64_t pkts[2] = {uint64_t(r["pkts_c2s"]), uint64_t(r["pkts_s2c"])};
        const uint64_t bytes[2] = {uint64_t(r["bytes_c2s"]), uint64_t(r["bytes_s2c"])};
        add(records.per_app, app + " c2s", pkts[0], bytes[0]);
        add(records.per_app, app + " s2c", pkts[1], bytes[1]);
        add(records.per_direction, "c2s", pkts[0], bytes[0]);
        add(records.per_direction, "s2c", pkts[1], bytes[1]);
        records.direction_of[tuple(src, sport, dst, dport)] = "c2s";
        records.direction_of[tuple(dst, dport, src, sport)] = "s2c";
        ++records.flows;
    }
    return records;
}

std::string direction(const Records& records, const std::string& key) {
    const auto found = records.direction_of.find(key);
    return found == records.direction_of.end() ? "unmatched(" + key + ")" : found->second;
}

// The captures: the demo, SIP over TLS 1.3 on IPv6 (the shared corpus) and QUIC.
struct Capture {
    std::string name;
    std::string path;
};

std::vector<Capture> captures() {
    std::vector<Capture> list = {
        {"tume-demo", source_root() + "/config/demo/tume-demo.pcap"},
        {"quic-v1", source_root() + "/tests/classifiers/tls/quic_captures/quic-v1.pcap"}};
    const std::string shared = shared_root();
    if (!shared.empty())
        list.push_back({"sip_call_tls13", shared + "/pcaps/keylog/sip_call_tls13.pcap"});
    return list;
}

// The repository's configuration (its rules by absolute path) with the given record form.
std::string config_with_form(const std::string& dir, const std::string& form) {
    std::string path = dir + "/" + form + ".yaml";
    std::ofstream(path) << "rules:\n  files: [\"" << source_root()
                        << "/config/rules.d/*.yaml\"]\n  watch_files: false\n"
                           "export:\n  ipfix:\n    record_form: "
                        << form << "\n";
    return path;
}

CommandResult run_to(const Capture& capture, const std::string& config, const std::string& dir,
                     uint16_t port) {
    return run_command({binary_path(), "run", "-c", config, "--pcap", capture.path, "--workers",
                        "1", "--metrics", "127.0.0.1:" + std::to_string(free_port()), "--flows-out",
                        dir + "/flows.jsonl", "--ipfix",
                        "udp://127.0.0.1:" + std::to_string(port)});
}

// Whether something holds UDP `port` on loopback (the collector is listening).
bool udp_port_taken(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0;
    ::close(fd);
    return taken;
}

TEST(IpfixCollectorTotals, PlainNfacctdCountsBothDirectionsPerApp) {
    const std::string program = collector_program("nfacctd");
    ASSERT_FALSE(program.empty())
        << "nfacctd is not installed: run deploy/install-deps.sh as root (Debian package pmacct)";
    for (const Capture& capture : captures()) {
        SCOPED_TRACE(capture.name);
        const std::string dir = temp_dir() + "/nfacctd-plain-" + capture.name;
        fs::create_directories(dir);
        const uint16_t port = free_port();
        // What an operator writes without reading our docs: no primitives file, no options.
        std::ofstream(dir + "/nfacctd.conf")
            << "daemonize: false\nnfacctd_ip: 127.0.0.1\nnfacctd_port: " << port
            << "\nplugins: print[flows]\n"
               "aggregate[flows]: class, src_host, dst_host, src_port, dst_port, proto\n"
               "print_output[flows]: csv\nprint_output_file[flows]: "
            << dir << "/flows.csv\nprint_output_file_append[flows]: true\n"
            << "print_refresh_time[flows]: 1\n";
        CollectorProcess nfacctd({program, "-f", dir + "/nfacctd.conf"}, dir + "/nfacctd.log");
        ASSERT_TRUE(wait_until(
            [&] {
                return read_text(dir + "/nfacctd.log").find("waiting for NetFlow") !=
                       std::string::npos;
            },
            std::chrono::seconds(10)))
            << read_text(dir + "/nfacctd.log");
        const CommandResult run =
            run_to(capture, source_root() + "/config/ottscope.yaml", dir, port);
        ASSERT_EQ(run.status, 0) << run.output;
        const Records records = read_records(dir + "/flows.jsonl");
        ASSERT_GT(records.flows, 0u);

        TotalsBy decoded;
        wait_until(
            [&] {
                decoded.clear();
                std::map<std::string, size_t> column;
                for (const std::string& line : read_lines(dir + "/flows.csv")) {
                    const auto fields = split_fields(line, ',');
                    if (line.rfind("CLASS,", 0) == 0) {
                        column.clear();
                        for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = i;
                        continue;
                    }
                    if (column.empty() || fields.size() < column.size()) continue;
                    const std::string key =
                        tuple(fields[column["SRC_IP"]], std::stoull(fields[column["SRC_PORT"]]),
                              fields[column["DST_IP"]], std::stoull(fields[column["DST_PORT"]]));
                    add(decoded, fields[column["CLASS"]] + " " + direction(records, key),
                        std::stoull(fields[column["PACKETS"]]),
                        std::stoull(fields[column["BYTES"]]));
                }
                return decoded == records.per_app;
            },
            std::chrono::seconds(15));
        EXPECT_EQ(decoded, records.per_app)
            << "nfacctd:\n"
            << text_of(decoded) << "records:\n"
            << text_of(records.per_app) << read_text(dir + "/nfacctd.log");
        std::printf("%s: %zu flows; plain nfacctd per app and direction = records:\n%s",
                    capture.name.c_str(), records.flows, text_of(decoded).c_str());
    }
}

// nfcapd receives a run over UDP; `nfdump -r` reads the files it wrote at SIGTERM.
void nfdump_counts_both_directions(const Capture& capture, const std::string& form) {
    SCOPED_TRACE(capture.name + " " + form);
    const std::string nfcapd = collector_program("nfcapd");
    const std::string nfdump = collector_program("nfdump");
    ASSERT_FALSE(nfcapd.empty() || nfdump.empty())
        << "nfcapd/nfdump are not installed: run deploy/install-deps.sh as root (nfdump)";
    const std::string dir = temp_dir() + "/nfdump-" + form + "-" + capture.name;
    fs::create_directories(dir + "/flows");
    const uint16_t port = free_port();
    CollectorProcess collector(
        {nfcapd, "-w", dir + "/flows", "-b", "127.0.0.1", "-p", std::to_string(port)},
        dir + "/nfcapd.log");
    ASSERT_TRUE(wait_until([&] { return udp_port_taken(port); }, std::chrono::seconds(10)))
        << read_text(dir + "/nfcapd.log");
    const CommandResult run = run_to(capture, config_with_form(dir, form), dir, port);
    ASSERT_EQ(run.status, 0) << run.output;
    const Records records = read_records(dir + "/flows.jsonl");
    ASSERT_GT(records.flows, 0u);
    // The datagrams are on loopback already; give nfcapd time to read them all, then SIGTERM
    // makes it write its file.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ASSERT_TRUE(collector.terminate()) << read_text(dir + "/nfcapd.log");

    TotalsBy decoded;
    Totals summary;
    size_t files = 0;
    std::string listing;
    for (const auto& entry : fs::directory_iterator(dir + "/flows")) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("nfcapd.2", 0) != 0) continue;  // nfcapd.YYYYMMDDhhmm
        ++files;
        const CommandResult read = run_command({nfdump, "-r", entry.path().string(), "-o", "csv"});
        ASSERT_EQ(read.status, 0) << read.output;
        listing += read.output;
        std::map<std::string, size_t> column;
        bool summary_next = false;
        std::istringstream lines(read.output);
        for (std::string line; std::getline(lines, line);) {
            const auto fields = split_fields(line, ',');
            if (summary_next && fields.size() >= 3) {
                // flows,bytes,packets,...
                summary.bytes += std::stoull(fields[1]);
                summary.packets += std::stoull(fields[2]);
                summary_next = false;
                continue;
            }
            if (line.rfind("flows,bytes,packets", 0) == 0) {
                summary_next = true;
                continue;
            }
            if (line.rfind("ts,", 0) == 0) {
                for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = i;
                continue;
            }
            if (column.empty() || fields.size() < column.size()) continue;
            const std::string key = tuple(fields[column["sa"]], std::stoull(fields[column["sp"]]),
                                          fields[column["da"]], std::stoull(fields[column["dp"]]));
            const std::string in = direction(records, key);
            const std::string out = in == "c2s" ? "s2c" : in == "s2c" ? "c2s" : in;
            // ipkt/ibyt: the record's own direction; opkt/obyt: RFC 5103 reverse counters.
            add(decoded, in, std::stoull(fields[column["ipkt"]]),
                std::stoull(fields[column["ibyt"]]));
            add(decoded, out, std::stoull(fields[column["opkt"]]),
                std::stoull(fields[column["obyt"]]));
        }
    }
    ASSERT_GT(files, 0u) << read_text(dir + "/nfcapd.log");
    EXPECT_EQ(decoded, records.per_direction)
        << "nfdump:\n"
        << text_of(decoded) << "records:\n"
        << text_of(records.per_direction) << listing.substr(0, 4000);
    const Totals c2s =
        records.per_direction.count("c2s") ? records.per_direction.at("c2s") : Totals{};
    const Totals s2c =
        records.per_direction.count("s2c") ? records.per_direction.at("s2c") : Totals{};
    EXPECT_EQ(summary, (Totals{c2s.packets + s2c.packets, c2s.bytes + s2c.bytes}))
        << listing.substr(0, 4000);
    std::printf(
        "%s, %s form: %zu flows; nfdump -r summary %llu packets, %llu bytes; per direction = "
        "records:\n%s",
        capture.name.c_str(), form.c_str(), records.flows,
        static_cast<unsigned long long>(summary.packets),
        static_cast<unsigned long long>(summary.bytes), text_of(decoded).c_str());
}

TEST(IpfixCollectorTotals, NfcapdAndNfdumpCountBothDirectionsOfUnidirectionalRecords) {
    for (const Capture& capture : captures())
        nfdump_counts_both_directions(capture, "unidirectional");
}

TEST(IpfixCollectorTotals, NfdumpReadsTheReverseCountersOfBiflows) {
    for (const Capture& capture : captures()) nfdump_counts_both_directions(capture, "biflow");
}

}  // namespace
}  // namespace ottscope::test
