#pragma once
// A configuration file written into a fresh folder and loaded, with the FILE:LINE:COL prefix
// its errors start with: shared by the configuration tests.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace ottscope::test {

class ConfigFileTest : public ::testing::Test {
protected:
    ~ConfigFileTest() override {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    ConfigResult load(const std::string& text) {
        const std::string path = dir_ + "/ottscope.yaml";
        std::ofstream(path) << text;
        // Collector URLs are export's to check (tests/control/export/ipfix_url_test.cpp).
        return load_config(path, ConfigChecks{});
    }
    [[nodiscard]] std::string at(int line, int column) const {
        return dir_ + "/ottscope.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
               ": ";
    }
    std::string dir_ = [] {
        char pattern[] = "/tmp/ottscope-config-XXXXXX";
        return std::string(mkdtemp(pattern));
    }();
};

}  // namespace ottscope::test
