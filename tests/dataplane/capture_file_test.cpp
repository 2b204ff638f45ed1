#include "dataplane/capture_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/capture_counter.h"

namespace ottscope {
namespace {

void put32(std::string& out, uint32_t value, bool big_endian) {
    for (int i = 0; i < 4; ++i) {
        const int shift = big_endian ? 24 - 8 * i : 8 * i;
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

void put16(std::string& out, uint16_t value, bool big_endian) {
    out.push_back(static_cast<char>(big_endian ? value >> 8 : value & 0xff));
    out.push_back(static_cast<char>(big_endian ? value & 0xff : value >> 8));
}

// A classic pcap file (Ethernet) with records of the given captured lengths.
std::string classic_pcap(const std::vector<uint32_t>& lengths, bool big_endian,
                         uint32_t magic = 0xa1b2c3d4, uint32_t link_type = 1) {
    std::string out;
    put32(out, magic, big_endian);
    put16(out, 2, big_endian);
    put16(out, 4, big_endian);
    put32(out, 0, big_endian);
    put32(out, 0, big_endian);
    put32(out, 65535, big_endian);
    put32(out, link_type, big_endian);
    uint32_t second = 1;
    for (const uint32_t length : lengths) {
        put32(out, second++, big_endian);
        put32(out, 0, big_endian);
        put32(out, length, big_endian);
        put32(out, length, big_endian);
        out.append(length, '\x5a');
    }
    return out;
}

// A capture written for one test and removed after it.
struct TempCapture {
    std::string path;
    TempCapture(const std::string& name, const std::string& bytes)
        : path(::testing::TempDir() + "ottscope_capture_" + std::to_string(::getpid()) + "_" +
               name) {
        std::ofstream(path, std::ios::binary) << bytes;
    }
    ~TempCapture() { std::remove(path.c_str()); }
    TempCapture(const TempCapture&) = delete;
    TempCapture& operator=(const TempCapture&) = delete;
};

CaptureFileInfo inspect(const std::string& path) {
    CaptureFileError error;
    auto info = inspect_capture_file(path, error);
    EXPECT_TRUE(info.has_value()) << error.message;
    return info.value_or(CaptureFileInfo{});
}

TEST(CaptureFile, CountsRecordsInEitherByteOrderAndTimestampResolution) {
    const std::vector<uint32_t> lengths{60, 1514, 0, 9000, 64};
    for (const bool big_endian : {false, true}) {
        for (const uint32_t magic : {0xa1b2c3d4u, 0xa1b23c4du}) {
            const TempCapture file(
                "order" + std::to_string(big_endian) + std::to_string(magic & 0xff) + ".pcap",
                classic_pcap(lengths, big_endian, magic));
            const CaptureFileInfo info = inspect(file.path);
            EXPECT_EQ(info.packets, 5u);
            EXPECT_EQ(info.bytes, 60u + 1514 + 0 + 9000 + 64);
            EXPECT_TRUE(info.damage.empty()) << info.damage;
            EXPECT_EQ(info.link, LinkType::ethernet);
        }
    }
}

TEST(CaptureFile, LinuxSll2AndNflogAreReadOtherLinkTypesRefusedByName) {
    const std::pair<uint32_t, LinkType> read[] = {
        {276, LinkType::linux_sll2}, {239, LinkType::nflog}, {113, LinkType::linux_sll}};
    for (const auto& [dlt, link] : read) {
        const TempCapture file("link" + std::to_string(dlt) + ".pcap",
                               classic_pcap({60}, false, 0xa1b2c3d4, dlt));
        EXPECT_EQ(inspect(file.path).link, link) << dlt;
    }
    // USB and 802.11 with radiotap: not what a mirror port carries.
    for (const auto& [dlt, name] : {std::pair{189u, "USB_LINUX"}, {127u, "IEEE802_11_RADIO"}}) {
        const TempCapture file("link" + std::to_string(dlt) + ".pcap",
                               classic_pcap({60}, false, 0xa1b2c3d4, dlt));
        CaptureFileError error;
        EXPECT_FALSE(open_capture_file(file.path, error).has_value());
        EXPECT_EQ(error.message,
                  file.path + ": unsupported link type " + std::to_string(dlt) + " (" + name + ")");
    }
}

TEST(CaptureFile, AnEmptyCaptureHasNoPackets) {
    const TempCapture file("empty.pcap", classic_pcap({}, false));
    const CaptureFileInfo info = inspect(file.path);
    EXPECT_EQ(info.packets, 0u);
    EXPECT_TRUE(info.damage.empty());
}

TEST(CaptureFile, ATruncatedRecordIsDamageAfterTheWholeOnes) {
    std::string bytes = classic_pcap({100, 200, 300}, false);
    bytes.resize(bytes.size() - 10);  // the last record loses its end
    const TempCapture cut("cut.pcap", bytes);
    const CaptureFileInfo info = inspect(cut.path);
    EXPECT_EQ(info.packets, 2u);
    EXPECT_EQ(info.bytes, 300u);
    EXPECT_NE(info.damage.find("damaged after packet 2"), std::string::npos) << info.damage;

    std::string header_cut = classic_pcap({100}, false);
    header_cut.append(7, '\0');  // half a record header
    const TempCapture half("header_cut.pcap", header_cut);
    const CaptureFileInfo second = inspect(half.path);
    EXPECT_EQ(second.packets, 1u);
    EXPECT_NE(second.damage.find("damaged after packet 1"), std::string::npos) << second.damage;
}

TEST(CaptureFile, ARecordLongerThanTheSnapshotLengthIsLeftToLibpcap) {
    // libpcap reads such a record and keeps the snapshot length of it: the count must
    // agree with what the pcap vdev will deliver, so the walk hands the file over.
    const TempCapture file("long.pcap", classic_pcap({70000}, false));
    const CaptureFileInfo info = inspect(file.path);
    EXPECT_EQ(info.packets, 1u);
    EXPECT_EQ(info.bytes, 65535u);
}

TEST(CaptureCounter, CountsBesideTheCallerAndPublishesEachCount) {
    std::vector<CaptureFileInfo> captures;
    std::vector<std::unique_ptr<TempCapture>> files;
    for (const uint32_t n : {3u, 0u, 7u}) {
        files.push_back(
            std::make_unique<TempCapture>("counted" + std::to_string(n) + ".pcap",
                                          classic_pcap(std::vector<uint32_t>(n, 100), false)));
        CaptureFileError error;
        auto info = open_capture_file(files.back()->path, error);
        ASSERT_TRUE(info) << error.message;
        captures.push_back(*info);
    }
    CaptureCounter counter(captures);
    const auto& counted = counter.wait();
    ASSERT_EQ(counted.size(), 3u);
    EXPECT_EQ(expected_packets(counter.expected(0)), 3u);
    EXPECT_EQ(expected_packets(counter.expected(1)), 0u);
    EXPECT_EQ(expected_packets(counter.expected(2)), 7u);
    EXPECT_EQ(counted[2].bytes, 700u);
    EXPECT_EQ(expected_packets(nullptr), CaptureCounter::kUnknown) << "no capture: no end";
}

TEST(CaptureCounter, DoesTheStartUpWorkItIsGivenBeforeCounting) {
    TempCapture file("after-first.pcap", classic_pcap(std::vector<uint32_t>(5, 60), false));
    CaptureFileError error;
    auto info = open_capture_file(file.path, error);
    ASSERT_TRUE(info) << error.message;
    std::atomic<bool> first_done{false};
    std::atomic<bool> counted_before_first{false};
    CaptureCounter* self = nullptr;
    std::atomic<bool> self_set{false};
    CaptureCounter counter({*info}, true, [&] {
        while (!self_set.load()) std::this_thread::yield();
        counted_before_first = expected_packets(self->expected(0)) != CaptureCounter::kUnknown;
        first_done = true;
    });
    self = &counter;
    self_set = true;
    counter.wait();
    EXPECT_TRUE(first_done);
    EXPECT_FALSE(counted_before_first) << "the count waits for the work given first";
    EXPECT_EQ(expected_packets(counter.expected(0)), 5u);
}

TEST(CaptureCounter, CountsEvenWhenTheWorkGivenFirstThrows) {
    TempCapture file("first-throws.pcap", classic_pcap(std::vector<uint32_t>(2, 60), false));
    CaptureFileError error;
    auto info = open_capture_file(file.path, error);
    ASSERT_TRUE(info) << error.message;
    CaptureCounter counter({*info}, true, [] { throw std::runtime_error("no module"); });
    counter.wait();
    EXPECT_EQ(expected_packets(counter.expected(0)), 2u);
}

}  // namespace
}  // namespace ottscope
