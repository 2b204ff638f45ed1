// The HTTP/JSON classifier through the real binary: a capture of real HTTP and HTTPS made
// between network namespaces at test time (tests/integration/http/netns_capture.sh), the
// synthesizer's demo capture, and the HTTP captures of the shared corpus. Subscriber values
// sent in the JSON bodies must appear nowhere the appliance writes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/test_support.h"

namespace ottscope::test {
namespace {

// The values netns_capture.sh and the synthesizer put into JSON bodies and headers.
const std::vector<std::string> kSubscriberValues = {"+34699111222", "+34699333444", "Alicia Prueba",
                                                    "Bob Ejemplo",  "+34600000101", "Test Contact",
                                                    "Test User",    "+34600000001"};

std::string field(const std::string& line, const std::string& name) {
    const std::regex pattern("\"" + name + "\":(\"[^\"]*\"|[^,}]*)");
    std::smatch match;
    return std::regex_search(line, match, pattern) ? match[1].str() : "-";
}

// What a golden record keeps: what does not depend on ephemeral ports and timing.
std::vector<std::string> normalized(const std::string& path) {
    std::vector<std::string> out;
    for (const std::string& line : read_lines(path)) {
        if (field(line, "pkts_c2s") == "1") continue;  // connection attempts before the server ran
        out.push_back(field(line, "dst_port") + " " + field(line, "app") + " " +
                      field(line, "classifier") + " " + field(line, "confidence") + " " +
                      field(line, "evidence"));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The shipped configuration: its rules (config/rules.d) name the provisioning app.
std::string shipped_config() {
    return source_root() + "/config/ottscope.yaml";
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class NetnsCapture : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (getuid() != 0) return;
        capture_ = temp_dir() + "/netns-http.pcap";
        const CommandResult made = run_command(
            {"/bin/bash", source_root() + "/tests/integration/http/netns_capture.sh", capture_});
        if (made.status != 0) {
            std::cerr << made.output;
            capture_.clear();
        }
    }
    void SetUp() override {
        if (capture_.empty()) GTEST_SKIP() << "needs root and ip netns to make the capture";
    }
    static std::string capture_;
};
std::string NetnsCapture::capture_;

TEST_F(NetnsCapture, FlowRecordsMatchGolden) {
    const std::string out = temp_dir() + "/netns.jsonl";
    const CommandResult result =
        run_command({binary_path(), "run", "-c", shipped_config(), "--pcap", capture_,
                     "--flows-out", out, "--workers", "1"});
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find(": holds"), std::string::npos) << result.output;
    std::vector<std::string> golden =
        read_lines(source_root() + "/tests/integration/http/netns.flows.golden");
    std::sort(golden.begin(), golden.end());
    EXPECT_EQ(normalized(out), golden);
}

TEST_F(NetnsCapture, SubscriberValuesAppearInNoOutput) {
    const std::string out = temp_dir() + "/netns-privacy.jsonl";
    const LingeringRun run =
        run_lingering({"-c", shipped_config(), "--pcap", capture_, "--flows-out", out},
                      "ottscope_http_requests_total{");
    const std::string& metrics = run.metrics;
    ASSERT_NE(
        metrics.find("ottscope_http_requests_total{app=\"tume-provisioning\",method=\"POST\"} 1"),
        std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(
                  "ottscope_http_payload_bytes_total{app=\"tume-provisioning\",direction=\"c2s\"}"),
              std::string::npos);
    const std::string records = file_text(out);
    ASSERT_FALSE(records.empty());
    for (const std::string& value : kSubscriberValues) {
        EXPECT_EQ(metrics.find(value), std::string::npos) << value;
        EXPECT_EQ(records.find(value), std::string::npos) << value;
        EXPECT_EQ(run.output.find(value), std::string::npos) << value;
    }
    // The capture holds them (the test would prove nothing otherwise).
    EXPECT_NE(file_text(capture_).find("+34699333444"), std::string::npos);
}

TEST(DemoHttp, ProvisioningUploadIsNamedByTheHttpClassifier) {
    const std::string out = temp_dir() + "/demo-http.jsonl";
    const CommandResult result = run_command(
        {binary_path(), "run", "-c", shipped_config(), "--pcap",
         source_root() + "/config/demo/tume-demo.pcap", "--flows-out", out, "--workers", "1"});
    ASSERT_EQ(result.status, 0) << result.output;
    bool found = false;
    for (const std::string& line : read_lines(out)) {
        if (field(line, "dst_port") != "80" || field(line, "app") != "\"tume-provisioning\"")
            continue;
        found = true;
        EXPECT_EQ(field(line, "classifier"), "\"http\"") << line;
        EXPECT_NE(line.find("json.key=msisdn"), std::string::npos) << line;
    }
    EXPECT_TRUE(found);
    for (const std::string& value : kSubscriberValues)
        EXPECT_EQ(file_text(out).find(value), std::string::npos) << value;
}

// Every HTTP capture of the shared corpus keeps packet conservation, and the Host and
// Content-Type our classifier reads agree with tshark 4.0's (checked through generated rules:
// see the script).
TEST(SharedHttpCaptures, HostAndContentTypeAgreeWithTshark) {
    const std::string shared = shared_root();
    if (shared.empty()) GTEST_SKIP() << "no shared corpus";
    const CommandResult result = run_command(
        {"/usr/bin/python3", source_root() + "/tests/integration/http/tshark_compare.py",
         binary_path(), shared, temp_dir()});
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("failed runs: 0"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace ottscope::test
