// IPFIX export of the demo capture, decoded by real collectors: pmacct's nfacctd (UDP,
// print plugin, biflow form with the primitives file) and libfixbuf's ipfixDump (TCP stream
// saved to a file, the default unidirectional form). Both must see every flow of the run
// with the app names and counters of the JSON Lines records of that run.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/control/child_process.h"
#include "tests/control/export/collector_process.h"
#include "tests/test_support.h"

namespace ottscope::test {
namespace {

namespace fs = std::filesystem;

// What both sides must agree on for one flow.
struct FlowFacts {
    std::string app;
    std::string src;
    std::string dst;
    uint64_t src_port = 0;
    uint64_t dst_port = 0;
    uint64_t pkts_c2s = 0;
    uint64_t bytes_c2s = 0;
    uint64_t pkts_s2c = 0;
    uint64_t bytes_s2c = 0;
    // ottscope's enterprise elements (PEN 32473), when the collector decodes them.
    std::string classifier;
    std::string confidence;  // as a number: 0 none, 1 low, 2 medium, 3 high

    [[nodiscard]] std::string text() const {
        std::ostringstream out;
        out << app << " " << src << ":" << src_port << " > " << dst << ":" << dst_port << " pkts "
            << pkts_c2s << "/" << pkts_s2c << " bytes " << bytes_c2s << "/" << bytes_s2c;
        if (!classifier.empty())
            out << " classifier " << classifier << " confidence " << confidence;
        return out.str();
    }
};

std::string confidence_number(std::string_view name) {
    static const std::map<std::string_view, std::string> numbers{
        {"none", "0"}, {"low", "1"}, {"medium", "2"}, {"high", "3"}};
    const auto found = numbers.find(name);
    // append(), not "?" + string: GCC 12 warns (-Wrestrict, a false positive) on the latter
    // once inlined here.
    return found == numbers.end() ? std::string("?").append(name) : found->second;
}

std::multiset<std::string> json_flows(const std::string& path, bool with_addresses = true,
                                      bool with_verdict = false) {
    std::multiset<std::string> flows;
    simdjson::dom::parser parser;
    for (const std::string& line : read_lines(path)) {
        if (line.empty()) continue;
        simdjson::dom::element record = parser.parse(line);
        FlowFacts f;
        f.app = std::string(std::string_view(record["app"]));
        if (with_addresses) {
            f.src = std::string(std::string_view(record["src_ip"]));
            f.dst = std::string(std::string_view(record["dst_ip"]));
        }
        f.src_port = uint64_t(record["src_port"]);
        f.dst_port = uint64_t(record["dst_port"]);
        f.pkts_c2s = uint64_t(record["pkts_c2s"]);
        f.pkts_s2c = uint64_t(record["pkts_s2c"]);
        f.bytes_c2s = uint64_t(record["bytes_c2s"]);
        f.bytes_s2c = uint64_t(record["bytes_s2c"]);
        if (with_verdict) {
            f.classifier = std::string(std::string_view(record["classifier"]));
            f.confidence = confidence_number(std::string_view(record["confidence"]));
        }
        flows.insert(f.text());
    }
    return flows;
}

// One IPFIX data record of the unidirectional form per direction of each flow (none for a
// server that never answered): app, ports as the record has them, counters, biflowDirection
// (1: client to server, 2: server to client).
std::string direction_text(const std::string& app, uint64_t src_port, uint64_t dst_port,
                           uint64_t packets, uint64_t bytes, int direction) {
    std::ostringstream out;
    out << app << " " << src_port << " > " << dst_port << " pkts " << packets << " bytes " << bytes
        << " direction " << direction;
    return out.str();
}

std::multiset<std::string> json_directions(const std::string& path) {
    std::multiset<std::string> records;
    simdjson::dom::parser parser;
    for (const std::string& line : read_lines(path)) {
        if (line.empty()) continue;
        simdjson::dom::element record = parser.parse(line);
        const std::string app{std::string_view(record["app"])};
        const uint64_t client = uint64_t(record["src_port"]);
        const uint64_t server = uint64_t(record["dst_port"]);
        records.insert(direction_text(app, client, server, uint64_t(record["pkts_c2s"]),
                                      uint64_t(record["bytes_c2s"]), 1));
        if (uint64_t(record["pkts_s2c"]) > 0)
            records.insert(direction_text(app, server, client, uint64_t(record["pkts_s2c"]),
                                          uint64_t(record["bytes_s2c"]), 2));
    }
    return records;
}

// The repository's configuration (its rules by absolute path) with RFC 5103 biflow records.
std::string biflow_config(const std::string& dir) {
    std::string path = dir + "/biflow.yaml";
    std::ofstream(path) << "rules:\n  files: [\"" << source_root()
                        << "/config/rules.d/*.yaml\"]\n  watch_files: false\n"
                           "export:\n  ipfix:\n    record_form: biflow\n";
    return path;
}

TEST(IpfixExport, NfacctdWithThePrimitivesFileDecodesEveryBiflowOfTheDemoOverUdp) {
    const std::string program = collector_program("nfacctd");
    ASSERT_FALSE(program.empty())
        << "nfacctd is not installed: run deploy/install-deps.sh as root (Debian package pmacct)";
    const std::string dir = temp_dir() + "/nfacctd";
    fs::create_directories(dir);
    const uint16_t port = free_port();
    // Reverse counters (RFC 5103, PEN 29305) and ottscope's elements (PEN 32473) as pmacct
    // custom primitives: the file operators get under deploy/.
    const std::string primitives = source_root() + "/deploy/pmacct/primitives.lst";
    std::ofstream(dir + "/nfacctd.conf")
        << "daemonize: false\n"
           "nfacctd_ip: 127.0.0.1\n"
           "nfacctd_port: "
        << port
        << "\n"
           "nfacctd_disable_opt_scope_check: true\n"
           "aggregate_primitives: "
        << primitives
        << "\n"
           "plugins: print[flows]\n"
           "aggregate[flows]: class, src_host, dst_host, src_port, dst_port, proto, "
           "timestamp_start, rev_bytes, rev_pkts, ottscope_classifier, ottscope_confidence\n"
           "print_output[flows]: csv\n"
           "print_output_file[flows]: "
        << dir
        << "/flows.csv\n"
           "print_output_file_append[flows]: true\n"
           "print_refresh_time[flows]: 1\n"
           "timestamps_since_epoch: true\n";
    CollectorProcess nfacctd({program, "-f", dir + "/nfacctd.conf"}, dir + "/nfacctd.log");
    ASSERT_TRUE(wait_until(
        [&] {
            return read_text(dir + "/nfacctd.log").find("waiting for NetFlow") != std::string::npos;
        },
        std::chrono::seconds(10)))
        << read_text(dir + "/nfacctd.log");

    const CommandResult run = run_command(
        {binary_path(), "run", "-c", biflow_config(dir), "--pcap", demo_capture(), "--workers", "1",
         "--metrics", "127.0.0.1:" + std::to_string(free_port()), "--flows-out",
         dir + "/flows.jsonl", "--ipfix", "udp://127.0.0.1:" + std::to_string(port)});
    ASSERT_EQ(run.status, 0) << run.output;
    const std::multiset<std::string> expected = json_flows(dir + "/flows.jsonl", true, true);
    ASSERT_GE(expected.size(), 5u);

    std::multiset<std::string> decoded;
    wait_until(
        [&] {
            decoded.clear();
            const auto lines = read_lines(dir + "/flows.csv");
            if (lines.empty()) return false;
            std::map<std::string, size_t> column;
            for (const std::string& line : lines) {
                const auto fields = split_fields(line, ',');
                if (line.rfind("CLASS,", 0) == 0) {
                    for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = i;
                    continue;
                }
                if (column.empty() || fields.size() < column.size()) continue;
                FlowFacts f;
                f.app = fields[column["CLASS"]];
                f.src = fields[column["SRC_IP"]];
                f.dst = fields[column["DST_IP"]];
                f.src_port = std::stoull(fields[column["SRC_PORT"]]);
                f.dst_port = std::stoull(fields[column["DST_PORT"]]);
                f.pkts_c2s = std::stoull(fields[column["PACKETS"]]);
                f.bytes_c2s = std::stoull(fields[column["BYTES"]]);
                f.pkts_s2c = std::stoull(fields[column["rev_pkts"]]);
                f.bytes_s2c = std::stoull(fields[column["rev_bytes"]]);
                f.classifier = fields[column["ottscope_classifier"]];
                f.confidence = fields[column["ottscope_confidence"]];
                decoded.insert(f.text());
            }
            return decoded.size() >= expected.size();
        },
        std::chrono::seconds(15));
    EXPECT_EQ(decoded, expected) << "nfacctd log:\n" << read_text(dir + "/nfacctd.log");
    bool voip = false;
    for (const std::string& flow : decoded) voip |= flow.rfind("tume-voip ", 0) == 0;
    EXPECT_TRUE(voip) << "the rule app tume-voip must reach the collector by name";
    std::printf(
        "nfacctd decoded %zu flows with classifier and confidence, as in the JSON Lines "
        "records\n",
        decoded.size());
}

// Receives one TCP connection and keeps its bytes: an IPFIX stream is an IPFIX file.
class TcpSink {
public:
    TcpSink(uint16_t port, std::string path, std::chrono::milliseconds delay)
        : thread_([this, port, path = std::move(path), delay] { run(port, path, delay); }) {}
    ~TcpSink() { thread_.join(); }
    TcpSink(const TcpSink&) = delete;
    TcpSink& operator=(const TcpSink&) = delete;

private:
    static void run(uint16_t port, const std::string& path, std::chrono::milliseconds delay) {
        // The collector is away for a while: the appliance must keep the records meanwhile.
        std::this_thread::sleep_for(delay);
        const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(listener, 1) != 0) {
            ::close(listener);
            return;
        }
        timeval timeout{20, 0};
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        const int connection = ::accept(listener, nullptr, nullptr);
        ::close(listener);
        if (connection < 0) return;
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        std::ofstream out(path, std::ios::binary);
        char buffer[65536];
        for (ssize_t n; (n = ::recv(connection, buffer, sizeof(buffer), 0)) > 0;)
            out.write(buffer, n);
        ::close(connection);
    }
    std::thread thread_;
};

TEST(IpfixExport, IpfixDumpDecodesTheTcpStreamOfACollectorThatCameLate) {
    ASSERT_FALSE(find_program("ipfixDump").empty())
        << "ipfixDump is not installed: run deploy/install-deps.sh as root (libfixbuf-tools)";
    const std::string dir = temp_dir() + "/ipfixdump";
    fs::create_directories(dir);
    const uint16_t port = free_port();
    const uint16_t metrics = free_port();
    CommandResult run;
    {
        TcpSink sink(port, dir + "/stream.ipfix", std::chrono::milliseconds(2500));
        run = run_command({binary_path(), "run", "-c", source_root() + "/config/ottscope.yaml",
                           "--pcap", demo_capture(), "--workers", "2", "--metrics",
                           "127.0.0.1:" + std::to_string(metrics), "--flows-out",
                           dir + "/flows.jsonl", "--ipfix",
                           "tcp://127.0.0.1:" + std::to_string(port)});
    }
    ASSERT_EQ(run.status, 0) << run.output;
    // Decoded text to a file of its own: libfixbuf's warnings go to stderr.
    const CommandResult decode = run_command(
        {find_program("ipfixDump"), "--in", dir + "/stream.ipfix", "--out", dir + "/dump.txt"});
    ASSERT_EQ(decode.status, 0) << decode.output;
    CommandResult dump;
    dump.output = read_text(dir + "/dump.txt");

    // Options records name the ids; data records carry them.
    std::map<std::string, std::string> names;
    std::multiset<std::string> decoded;
    std::set<std::string> domains;
    std::map<std::string, std::string> fields;
    std::string tid;
    auto number = [&](const std::string& name) -> uint64_t {
        const std::string& text = fields[name];
        if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) {
            std::string all;
            for (const auto& [k, v] : fields) all += k + "=" + v + "; ";
            ADD_FAILURE() << name << " is '" << text << "' in " << all;
            return 0;
        }
        return std::stoull(text);
    };
    auto finish_record = [&] {
        if (fields.count("applicationName"))
            names[fields["applicationId"]] = fields["applicationName"];
        else if (fields.count("sourceTransportPort")) {
            EXPECT_FALSE(fields.count("reversePacketDeltaCount")) << "a biflow by default";
            EXPECT_TRUE(fields.count("32473/102")) << "no ottscope confidence element";
            decoded.insert(direction_text(fields["applicationId"], number("sourceTransportPort"),
                                          number("destinationTransportPort"),
                                          number("packetDeltaCount"), number("octetDeltaCount"),
                                          static_cast<int>(number("biflowDirection"))));
        }
        fields.clear();
    };
    static const std::regex field(R"(^\s*\((\d+(?:/\d+)?)\)(?:\s*\(S\))?\s+(\S+)\s*:\s*(.*)$)");
    static const std::regex domain(R"(observation domain id:\s*(\d+))");
    std::istringstream lines(dump.output);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (line.find("--- ") == 0) finish_record();
        if (std::regex_search(line, m, domain)) domains.insert(m[1]);
        if (!std::regex_match(line, m, field)) continue;
        std::string name = m[2];
        if (name == "_alienInformationElement") name = m[1];
        std::string value = m[3];
        if (const auto at = value.find(") ");
            value.rfind("(len:", 0) == 0 && at != std::string::npos)
            value = value.substr(at + 2);
        fields[name] = value;
    }
    finish_record();
    // Names in place of ids, then the same comparison as with the JSON Lines.
    std::multiset<std::string> named;
    for (const std::string& flow : decoded) {
        const auto space = flow.find(' ');
        const std::string id = flow.substr(0, space);
        ASSERT_TRUE(names.count(id)) << "applicationId " << id << " was never named";
        named.insert(names[id] + flow.substr(space));
    }
    // Addresses are left out of this comparison: the ports tell flows apart.
    const std::multiset<std::string> expected = json_directions(dir + "/flows.jsonl");
    EXPECT_EQ(named, expected) << dump.output.substr(0, 4000);
    // Two workers: two observation domains (domain_id 1 * 256 + worker).
    EXPECT_TRUE(domains.count("256")) << dump.output.substr(0, 2000);
    std::printf(
        "ipfixDump decoded %zu unidirectional records in %zu observation domains, as the JSON "
        "Lines records' directions\n",
        named.size(), domains.size());
}

// The tunnels of issue 17 in IPFIX: ottscopeTunnelType (32473/104) numbers them as the README
// lists (2 vxlan, 6 pbb, 7 gre_udp, 8 teredo), on every record of the flows inside them
// (both directions' records in the unidirectional form).
TEST(IpfixExport, IpfixDumpSeesTheTunnelTypeOfEachNewEncapsulation) {
    ASSERT_FALSE(find_program("ipfixDump").empty())
        << "ipfixDump is not installed: run deploy/install-deps.sh as root (libfixbuf-tools)";
    const std::string dir = temp_dir() + "/tunnels";
    fs::create_directories(dir);
    const std::vector<std::string> names = {"vxlan-gbp", "pbb", "gre-udp", "teredo"};
    std::vector<std::string> command = {
        "/usr/bin/python3", source_root() + "/tests/dataplane/encapsulate.py", demo_capture(), dir};
    command.insert(command.end(), names.begin(), names.end());
    const CommandResult made = run_command(command);
    ASSERT_EQ(made.status, 0) << made.output;
    const uint16_t port = free_port();
    std::vector<std::string> argv = {binary_path(), "run",
                                     "--workers",   "1",
                                     "--metrics",   "127.0.0.1:" + std::to_string(free_port()),
                                     "--ipfix",     "tcp://127.0.0.1:" + std::to_string(port),
                                     "--flows-out", dir + "/flows.jsonl"};
    for (const std::string& name : names) {
        argv.push_back("--pcap");
        argv.push_back(dir + "/" + name + ".pcap");
    }
    CommandResult run;
    {
        TcpSink sink(port, dir + "/stream.ipfix", std::chrono::milliseconds(0));
        run = run_command(argv);
    }
    ASSERT_EQ(run.status, 0) << run.output;
    const CommandResult decode = run_command(
        {find_program("ipfixDump"), "--in", dir + "/stream.ipfix", "--out", dir + "/dump.txt"});
    ASSERT_EQ(decode.status, 0) << decode.output;
    std::map<std::string, int> types;
    static const std::regex type(R"(\(32473/104\)\s+\S+\s*:\s*(\d+))");
    std::istringstream lines(read_text(dir + "/dump.txt"));
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, type)) ++types[m[1]];
    }
    // Ten flows in each capture, a record for each direction that carried packets.
    static const std::map<std::string, std::string> numbers{
        {"vxlan", "2"}, {"pbb", "6"}, {"gre_udp", "7"}, {"teredo", "8"}};
    std::map<std::string, int> flows;
    std::map<std::string, int> expected;
    simdjson::dom::parser parser;
    for (const std::string& line : read_lines(dir + "/flows.jsonl")) {
        if (line.empty()) continue;
        simdjson::dom::element record = parser.parse(line);
        std::string_view name;
        if (record["tunnel"]["type"].get(name) != simdjson::SUCCESS) continue;
        const auto number = numbers.find(std::string(name));
        const std::string type = number == numbers.end() ? std::string(name) : number->second;
        ++flows[type];
        expected[type] += uint64_t(record["pkts_s2c"]) > 0 ? 2 : 1;
    }
    EXPECT_EQ(flows, (std::map<std::string, int>{{"2", 10}, {"6", 10}, {"7", 10}, {"8", 10}}));
    EXPECT_EQ(types, expected);
}

// The TLS values of TLS and QUIC flows (32473/107-110) reach a stock collector as the JSON
// Lines records carry them: nfacctd with the primitives file operators get under deploy/.
TEST(IpfixExport, NfacctdReadsTheTlsValuesOfTlsAndQuicFlows) {
    const std::string program = collector_program("nfacctd");
    ASSERT_FALSE(program.empty())
        << "nfacctd is not installed: run deploy/install-deps.sh as root (Debian package pmacct)";
    const std::string dir = temp_dir() + "/nfacctd-tls";
    fs::create_directories(dir);
    const uint16_t port = free_port();
    std::ofstream(dir + "/nfacctd.conf")
        << "daemonize: false\nnfacctd_ip: 127.0.0.1\nnfacctd_port: " << port
        << "\nnfacctd_disable_opt_scope_check: true\naggregate_primitives: "
        << source_root() + "/deploy/pmacct/primitives.lst"
        << "\nplugins: print[flows]\n"
           "aggregate[flows]: src_port, dst_port, proto, ottscope_tls_sni, ottscope_tls_alpn, "
           "ottscope_tls_ja3, ottscope_tls_ja4\n"
           "print_output[flows]: csv\nprint_output_separator[flows]: |\nprint_output_file[flows]: "
        << dir << "/flows.csv\nprint_output_file_append[flows]: true\n"
        << "print_refresh_time[flows]: 1\n";
    CollectorProcess nfacctd({program, "-f", dir + "/nfacctd.conf"}, dir + "/nfacctd.log");
    ASSERT_TRUE(wait_until(
        [&] {
            return read_text(dir + "/nfacctd.log").find("waiting for NetFlow") != std::string::npos;
        },
        std::chrono::seconds(10)))
        << read_text(dir + "/nfacctd.log");
    const std::string quic = source_root() + "/tests/classifiers/tls/quic_captures/quic-v1.pcap";
    const std::string prologue = source_root() + "/tests/classifiers/tls/prologue/prologue.pcap";
    const CommandResult run =
        run_command({binary_path(), "run", "--pcap", quic, "--pcap", prologue, "--workers", "1",
                     "--metrics", "127.0.0.1:" + std::to_string(free_port()), "--flows-out",
                     dir + "/flows.jsonl", "--ipfix", "udp://127.0.0.1:" + std::to_string(port)});
    ASSERT_EQ(run.status, 0) << run.output;
    std::multiset<std::string> expected;
    simdjson::dom::parser parser;
    auto text = [](simdjson::dom::element record, const char* name) {
        std::string_view value;
        return record[name].get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
    };
    bool quic_seen = false;
    for (const std::string& line : read_lines(dir + "/flows.jsonl")) {
        if (line.empty()) continue;
        simdjson::dom::element record = parser.parse(line);
        const std::string sni = text(record, "sni");
        const std::string ja4 = text(record, "ja4");
        if (ja4.empty()) continue;
        quic_seen |= ja4[0] == 'q';
        // Both records of the flow (unidirectional form) carry its TLS values.
        const std::string client = std::to_string(uint64_t(record["src_port"]));
        const std::string server = std::to_string(uint64_t(record["dst_port"]));
        const std::string values =
            sni + " " + text(record, "alpn") + " " + text(record, "ja3") + " " + ja4;
        expected.insert(client + " " + server + " " + values);
        if (uint64_t(record["pkts_s2c"]) > 0) expected.insert(server + " " + client + " " + values);
    }
    ASSERT_TRUE(quic_seen) << "the QUIC capture must give a q-prefixed JA4";
    ASSERT_GE(expected.size(), 5u);
    std::multiset<std::string> decoded;
    wait_until(
        [&] {
            decoded.clear();
            std::map<std::string, size_t> column;
            for (const std::string& line : read_lines(dir + "/flows.csv")) {
                const auto fields = split_fields(line, '|');
                if (line.rfind("SRC_PORT|", 0) == 0) {
                    for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = i;
                    continue;
                }
                if (column.empty() || fields.size() < column.size()) continue;
                if (fields[column["ottscope_tls_ja4"]].empty()) continue;
                decoded.insert(fields[column["SRC_PORT"]] + " " + fields[column["DST_PORT"]] + " " +
                               fields[column["ottscope_tls_sni"]] + " " +
                               fields[column["ottscope_tls_alpn"]] + " " +
                               fields[column["ottscope_tls_ja3"]] + " " +
                               fields[column["ottscope_tls_ja4"]]);
            }
            return decoded.size() >= expected.size();
        },
        std::chrono::seconds(15));
    EXPECT_EQ(decoded, expected) << "nfacctd log:\n" << read_text(dir + "/nfacctd.log");
    std::printf(
        "nfacctd decoded SNI, ALPN, JA3 and JA4 of %zu TLS and QUIC flow directions as in the "
        "records\n",
        decoded.size());
}

TEST(IpfixExport, ABadCollectorUrlIsOneClearLine) {
    const CommandResult run = run_command(
        {binary_path(), "run", "--pcap", demo_capture(), "--ipfix", "http://127.0.0.1:4739"});
    EXPECT_EQ(run.status, 1);
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
    EXPECT_NE(run.output.find("udp://HOST:PORT or tcp://HOST:PORT"), std::string::npos)
        << run.output;
}

TEST(IpfixExport, ConfigurationErrorsNameTheirPlace) {
    const std::string dir = temp_dir() + "/config";
    fs::create_directories(dir);
    std::ofstream(dir + "/bad.yaml") << "export:\n  ipfix:\n    collectors:\n"
                                        "      - udp://127.0.0.1:4739\n      - tcp://collector\n"
                                        "    domain_id: 99999999\n"
                                        "    record_form: biflows\n";
    const CommandResult check = run_command({binary_path(), "check-config", dir + "/bad.yaml"});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.output.find("bad.yaml:5:9:"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("bad.yaml:6:"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("bad.yaml:7:18:"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("'biflows', must be unidirectional"), std::string::npos)
        << check.output;
}

}  // namespace
}  // namespace ottscope::test
