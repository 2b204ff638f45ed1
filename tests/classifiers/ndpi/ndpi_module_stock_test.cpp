// Modules ordered from the stock come built for the protocols file asked for, each once; a
// file nobody ordered gets nothing, so its classifier builds (and words errors for) its own.

#include "classifiers/ndpi/ndpi_module_stock.h"

#include <gtest/gtest.h>
#include <unistd.h>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <filesystem>
#include <fstream>
#include <thread>

namespace ottscope {
namespace {

TEST(NdpiModuleStock, HandsOutEachOrderedModuleOnce) {
    NdpiModuleStock stock({"", ""});
    NdpiModule first = stock.take("");
    NdpiModule second = stock.take("");
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_NE(first.get(), second.get());
    EXPECT_EQ(stock.take(""), nullptr) << "two ordered, two taken";
}

TEST(NdpiModuleStock, GivesNothingForAFileNotOrdered) {
    NdpiModuleStock stock({""});
    EXPECT_EQ(stock.take("/nonexistent/protocols.txt"), nullptr);
    EXPECT_NE(stock.take(""), nullptr);
}

TEST(NdpiModuleStock, AFileThatCannotLoadLeavesTheErrorToTheTaker) {
    NdpiModuleStock stock({"/nonexistent/protocols.txt"});
    stock.build();
    EXPECT_EQ(stock.take("/nonexistent/protocols.txt"), nullptr);
    NdpiSettings settings;
    settings.protocols_file = "/nonexistent/protocols.txt";
    std::string error;
    EXPECT_EQ(make_ndpi_generation(settings, nullptr, error), nullptr);
    EXPECT_NE(error.find("/nonexistent/protocols.txt:1:1:"), std::string::npos) << error;
}

TEST(NdpiModuleStock, ATakerWaitsForTheBuildAnotherThreadStarted) {
    const auto protocols = std::filesystem::temp_directory_path() /
                           ("stock-protocols-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(protocols) << "host:\"example.test\"@ExampleCustom\n";
    NdpiModuleStock stock({protocols.string(), ""});
    std::thread builder([&stock] { stock.build(); });
    NdpiModule custom = stock.take(protocols.string());
    NdpiModule plain = stock.take("");
    builder.join();
    ASSERT_NE(custom, nullptr);
    ASSERT_NE(plain, nullptr);
    EXPECT_GT(ndpi_get_num_supported_protocols(custom.get()),
              ndpi_get_num_supported_protocols(plain.get()))
        << "the protocols file was loaded into the module built for it";
    std::filesystem::remove(protocols);
}

}  // namespace
}  // namespace ottscope
