// The configuration's dataplane keys as operators write them, wrong ones included: each bad
// value comes back with its FILE:LINE:COL and what would be accepted.

#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/config/config_file_fixture.h"

namespace ottscope {
namespace {

using ConfigFile = test::ConfigFileTest;

TEST_F(ConfigFile, FanoutDefaultsToTheReceiverWorkerWithHalfAShare) {
    const ConfigResult result = load("dataplane:\n  workers: 2\n");
    ASSERT_TRUE(result.ok()) << result.errors.at(0);
    EXPECT_EQ(result.config.fanout, FanoutMode::receiver);
    EXPECT_EQ(result.config.receiver_share, 0.0) << "0: chosen at start";
    EXPECT_EQ(default_config().fanout, FanoutMode::receiver);
    EXPECT_EQ(default_config().receiver_share, 0.0);
}

TEST_F(ConfigFile, FanoutModesAndSharesAreRead) {
    ConfigResult result = load("dataplane:\n  fanout: dedicated\n  receiver_share: 1\n");
    ASSERT_TRUE(result.ok()) << result.errors.at(0);
    EXPECT_EQ(result.config.fanout, FanoutMode::dedicated);
    EXPECT_EQ(result.config.receiver_share, 1.0);
    result = load("dataplane:\n  fanout: receiver\n  receiver_share: 0.3\n");
    ASSERT_TRUE(result.ok()) << result.errors.at(0);
    EXPECT_EQ(result.config.fanout, FanoutMode::receiver);
    EXPECT_DOUBLE_EQ(result.config.receiver_share, 0.3);
    result = load("dataplane:\n  receiver_share: 0.001\n");
    ASSERT_TRUE(result.ok()) << result.errors.at(0);
    EXPECT_DOUBLE_EQ(result.config.receiver_share, 0.001);
}

TEST_F(ConfigFile, ReceiverShareOfZeroIsRefused) {
    const ConfigResult result = load("dataplane:\n  receiver_share: 0\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0],
              at(2, 19) + "dataplane.receiver_share is 0, must be above 0 and at most 1");
    EXPECT_EQ(result.config.receiver_share, 0.0) << "a refused value changes nothing";
}

TEST_F(ConfigFile, ReceiverShareAboveOneIsRefused) {
    const ConfigResult result = load("dataplane:\n  receiver_share: 1.5\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0],
              at(2, 19) + "dataplane.receiver_share is 1.5, must be above 0 and at most 1");
}

TEST_F(ConfigFile, NegativeNanAndInfiniteReceiverSharesAreRefused) {
    for (const char* value : {"-0.5", ".nan", ".inf", "-.inf"}) {
        const ConfigResult result = load(std::string("dataplane:\n  receiver_share: ") + value);
        ASSERT_EQ(result.errors.size(), 1u) << value;
        EXPECT_EQ(result.errors[0], at(2, 19) + "dataplane.receiver_share is " + value +
                                        ", must be above 0 and at most 1");
    }
}

TEST_F(ConfigFile, ReceiverShareThatIsNoNumberIsRefused) {
    for (const char* value : {"half", "[0.5]", "{a: 1}", "50%"}) {
        const ConfigResult result = load(std::string("dataplane:\n  receiver_share: ") + value);
        ASSERT_EQ(result.errors.size(), 1u) << value;
        EXPECT_EQ(result.errors[0],
                  at(2, 19) + "dataplane.receiver_share must be a number above 0 and at most 1");
    }
}

TEST_F(ConfigFile, UnknownFanoutModeIsRefusedWithTheChoices) {
    const ConfigResult result = load("dataplane:\n  fanout: dedicate\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0], at(2, 11) +
                                    "dataplane.fanout is 'dedicate', must be receiver (worker 0 "
                                    "reads single-queue ports) or dedicated (an lcore of its own "
                                    "reads them)");
    EXPECT_EQ(load("dataplane:\n  fanout: [receiver]\n").errors.size(), 1u);
}

TEST_F(ConfigFile, MisspeltReceiverShareGetsASuggestion) {
    const ConfigResult result = load("dataplane:\n  reciever_share: 0.5\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0], at(2, 3) +
                                    "unknown key 'reciever_share' in dataplane (did you mean "
                                    "'receiver_share'?)");
}

TEST_F(ConfigFile, ShippedConfigurationHasTheDefaults) {
    const ConfigResult result =
        load_config(std::string(OTTSCOPE_SOURCE_ROOT) + "/config/ottscope.yaml", ConfigChecks{});
    ASSERT_TRUE(result.ok()) << result.errors.at(0);
    EXPECT_EQ(result.config.fanout, FanoutMode::receiver);
    EXPECT_EQ(result.config.receiver_share, 0.0) << "0: chosen at start";
}

}  // namespace
}  // namespace ottscope
