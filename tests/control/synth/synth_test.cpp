#include "control/synth/synth.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace ottscope::synth {
namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) / name).string();
}

std::vector<char> slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write_or_fail(const std::string& name, uint64_t seed) {
    const std::string path = temp_path(name);
    EXPECT_EQ(write_capture({path, seed, 1}), 0);
    return path;
}

bool ipv4_checksum_ok(const uint8_t* ip, size_t header_len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < header_len; i += 2) sum += (uint32_t{ip[i]} << 8) | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

struct CaptureSummary {
    int packets = 0;
    int ipv4_packets = 0;
    int bad_ipv4_checksums = 0;
    std::vector<std::string> client_hellos;  // TCP payloads that start a TLS ClientHello
};

CaptureSummary summarize(const std::string& path) {
    CaptureSummary summary;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
    if (pcap == nullptr) {
        ADD_FAILURE() << errbuf;
        return summary;
    }
    EXPECT_EQ(pcap_datalink(pcap), DLT_EN10MB);
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pcap, &header, &data) == 1) {
        ++summary.packets;
        if (header->caplen < 34 || data[12] != 0x08 || data[13] != 0x00) continue;
        ++summary.ipv4_packets;
        const uint8_t* ip = data + 14;
        const size_t ihl = (ip[0] & 0x0f) * 4u;
        if (!ipv4_checksum_ok(ip, ihl)) ++summary.bad_ipv4_checksums;
        if (ip[9] != 6) continue;
        const uint8_t* tcp = ip + ihl;
        const size_t tcp_len = (tcp[12] >> 4) * 4u;
        const size_t ip_total = (size_t{ip[2]} << 8) | ip[3];
        const std::string_view payload(reinterpret_cast<const char*>(tcp + tcp_len),
                                       ip_total - ihl - tcp_len);
        // Record type handshake, handshake type ClientHello.
        if (payload.size() > 6 && payload[0] == 0x16 && payload[5] == 0x01) {
            summary.client_hellos.emplace_back(payload);
        }
    }
    pcap_close(pcap);
    return summary;
}

TEST(SynthCapture, SameSeedGivesIdenticalBytes) {
    const auto first = slurp(write_or_fail("synth_seed1_a.pcap", 1));
    const auto second = slurp(write_or_fail("synth_seed1_b.pcap", 1));
    ASSERT_FALSE(first.empty());
    EXPECT_TRUE(first == second);
}

TEST(SynthCapture, DifferentSeedGivesDifferentBytes) {
    const auto one = slurp(write_or_fail("synth_seed1_c.pcap", 1));
    const auto two = slurp(write_or_fail("synth_seed2.pcap", 2));
    ASSERT_FALSE(one.empty());
    EXPECT_FALSE(one == two);
}

TEST(SynthCapture, ParsesWithValidIpv4Checksums) {
    const CaptureSummary summary = summarize(write_or_fail("synth_parse.pcap", 1));
    EXPECT_GT(summary.packets, 50);
    EXPECT_EQ(summary.ipv4_packets, summary.packets);
    EXPECT_EQ(summary.bad_ipv4_checksums, 0);
}

TEST(SynthCapture, TlsClientHelloCarriesJajahSni) {
    const CaptureSummary summary = summarize(write_or_fail("synth_sni.pcap", 1));
    bool found = false;
    for (const std::string& hello : summary.client_hellos) {
        found = found || hello.find("sip.jajah.com") != std::string::npos;
    }
    EXPECT_TRUE(found) << summary.client_hellos.size() << " ClientHellos, none for sip.jajah.com";
}

TEST(SynthCapture, ScaleAddsSubscribers) {
    const std::string path = temp_path("synth_scale.pcap");
    ASSERT_EQ(write_capture({path, 1, 3}), 0);
    const CaptureSummary three = summarize(path);
    const CaptureSummary one = summarize(write_or_fail("synth_scale1.pcap", 1));
    EXPECT_EQ(three.client_hellos.size(), 3 * one.client_hellos.size());
}

// The deterministic RAND_METHOD is process-wide; anything else in the process (the appliance's own
// TLS, other tests) must get real randomness back afterwards.
TEST(SynthCapture, OpensslRandomnessIsRestoredAfterwards) {
    write_or_fail("synth_rand.pcap", 1);
    unsigned char first[32] = {};
    unsigned char second[32] = {};
    ASSERT_EQ(RAND_bytes(first, sizeof(first)), 1);
    ASSERT_EQ(RAND_bytes(second, sizeof(second)), 1);
    EXPECT_NE(std::string_view(reinterpret_cast<char*>(first), sizeof(first)),
              std::string_view(reinterpret_cast<char*>(second), sizeof(second)));
}

TEST(SynthCapture, UnwritablePathFailsWithStatusOne) {
    testing::internal::CaptureStderr();
    const int rc = write_capture({"/nonexistent-dir/out.pcap", 1, 1});
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(rc, 1);
    EXPECT_EQ(err.rfind("ottscope synth: cannot write /nonexistent-dir/out.pcap: ", 0), 0u) << err;
}

}  // namespace
}  // namespace ottscope::synth
