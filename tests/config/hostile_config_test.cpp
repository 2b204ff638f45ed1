// Configurations nobody should write: a path that is a directory or a FIFO, a protocols file
// that is not a file, values of the wrong shape, and a flow table the machine cannot hold.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/memory_estimate.h"
#include "tests/config/config_file_fixture.h"

namespace ottscope {
namespace {

class HostileConfig : public test::ConfigFileTest {
protected:
    static std::string all(const ConfigResult& result) {
        std::string text;
        for (const auto& error : result.errors) text += error + "\n";
        return text;
    }
};

TEST_F(HostileConfig, ConfigPathThatIsADirectoryIsRefusedNamingIt) {
    const ConfigResult result = load_config(dir_, ConfigChecks{});
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_EQ(result.errors[0], dir_ + ": is a directory, not a regular file");
}

TEST_F(HostileConfig, ConfigPathThatIsAFifoIsRefusedWithoutBlocking) {
    const std::string fifo = dir_ + "/fifo.yaml";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    const ConfigResult result = load_config(fifo, ConfigChecks{});
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_EQ(result.errors[0], fifo + ": is a FIFO, not a regular file");
}

TEST_F(HostileConfig, UnknownPortLinkIsRefusedNamingTheKnownOnes) {
    const ConfigResult result = load("ports:\n  - device: net_null0\n    link: token-ring\n");
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_EQ(result.errors[0], at(2, 5) +
                                    "ports[].link must be one of ethernet, raw-ip, null, "
                                    "linux-sll, ppp, cisco-hdlc, linux-sll2, nflog");
    EXPECT_TRUE(load("ports:\n  - device: net_null0\n    link: nflog\n").errors.empty());
}

TEST_F(HostileConfig, ProtocolsFileThatIsAFifoIsRefused) {
    ASSERT_EQ(mkfifo((dir_ + "/protos.txt").c_str(), 0644), 0);
    const ConfigResult result = load("classifiers:\n  ndpi:\n    protocols_file: protos.txt\n");
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    const std::string protocols = dir_ + "/protos.txt";
    EXPECT_EQ(result.errors[0], at(3, 21) + "classifiers.ndpi.protocols_file " + protocols +
                                    " is a FIFO, not a regular file");
}

TEST_F(HostileConfig, ProtocolsFileThatIsADanglingSymlinkIsRefused) {
    ASSERT_EQ(symlink((dir_ + "/nowhere").c_str(), (dir_ + "/protos.txt").c_str()), 0);
    const ConfigResult result = load("classifiers:\n  ndpi:\n    protocols_file: protos.txt\n");
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    const std::string protocols = dir_ + "/protos.txt";
    EXPECT_NE(result.errors[0].find(at(3, 21) + "classifiers.ndpi.protocols_file " + protocols +
                                    " does not exist"),
              std::string::npos)
        << all(result);
}

TEST_F(HostileConfig, EalArgThatIsAMappingIsAnErrorNotAnException) {
    const ConfigResult result = load("dataplane:\n  eal_args: [--x, {a: b}]\n  workers: 1000\n");
    ASSERT_EQ(result.errors.size(), 2u) << all(result);
    EXPECT_NE(result.errors[0].find(":2:19: dataplane.eal_args[] must be a string"),
              std::string::npos)
        << all(result);
    EXPECT_NE(result.errors[1].find("dataplane.workers is 1000"), std::string::npos);
}

TEST_F(HostileConfig, ControlCharactersInAValueAreEscaped) {
    const ConfigResult result = load("dataplane:\n  fanout: \"a\\nFAKE\\r\\e]0;x\\a\"\n");
    ASSERT_EQ(result.errors.size(), 1u) << all(result);
    EXPECT_NE(result.errors[0].find("dataplane.fanout is 'a\\x0aFAKE\\x0d\\x1b]0;x\\x07'"),
              std::string::npos)
        << all(result);
}

TEST_F(HostileConfig, AbsurdFlowTableCapacityIsRefusedAgainstMemory) {
    const ConfigResult result =
        load("dataplane:\n  workers: 128\nflow_table:\n  capacity: 268435456\n");
    ASSERT_TRUE(result.ok()) << all(result);
    const std::string error = flow_memory_error(result, 0);
    EXPECT_EQ(error.rfind(dir_ + "/ottscope.yaml:4:13: flow_table.capacity 268435456 needs ", 0),
              0u)
        << error;
    EXPECT_NE(error.find("for 128 workers, more than 80% of this machine's"), std::string::npos)
        << error;
}

TEST_F(HostileConfig, DefaultFlowTableFitsOnAModestMachine) {
    // 1 Mi flows, one worker: 420 MiB against 4 GiB.
    EXPECT_EQ(flow_tables_memory_error(1u << 20, 1, uint64_t{4} << 30), "");
    EXPECT_EQ(flow_table_bytes(1u << 20), uint64_t{420} << 20);
}

TEST_F(HostileConfig, FlowTablesPastEightyPercentOfMemoryAreRefused) {
    const uint64_t memory = uint64_t{8} << 30;
    const uint64_t fits = memory / 100 * kFlowTableMemoryPercent / flow_table_bytes(1) / 2;
    EXPECT_EQ(flow_tables_memory_error(fits, 2, memory), "");
    EXPECT_NE(flow_tables_memory_error(fits + 1, 2, memory), "");
}

TEST_F(HostileConfig, PhysicalMemoryIsRead) {
    const auto memory = physical_memory_bytes();
    ASSERT_TRUE(memory);
    EXPECT_GT(*memory, uint64_t{64} << 20);
}

}  // namespace
}  // namespace ottscope
