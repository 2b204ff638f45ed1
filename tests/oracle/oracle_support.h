#pragma once
// What the oracle tests that compare our flow records with tshark share: flows keyed by their
// two endpoints, tab-separated rows, and the tally of agreements and classed disagreements.

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/test_support.h"

namespace ottscope::test::oracle {

// A flow by its two endpoints ("address#port", canonical spelling), order-independent.
using FlowId = std::pair<std::string, std::string>;
inline FlowId flow_id(const std::string& a, const std::string& a_port, const std::string& b,
                      const std::string& b_port) {
    std::string left = canonical_address(a) + "#" + a_port;
    std::string right = canonical_address(b) + "#" + b_port;
    if (right < left) std::swap(left, right);
    return {left, right};
}

// The fields of a tshark row; a trailing separator is a trailing empty field.
inline std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::stringstream in(line);
    while (std::getline(in, field, separator)) fields.push_back(field);
    if (!line.empty() && line.back() == separator) fields.emplace_back();
    return fields;
}

// A disagreement whose class starts with this has no known reason and fails the test.
constexpr const char* kUnexplained = "UNEXPLAINED: ";

// Agreements of one value, and the disagreements by class with two examples each.
struct Tally {
    size_t agree = 0;
    size_t total = 0;
    std::map<std::string, size_t> classes;
    std::vector<std::string> examples;
    void add(bool same, const std::string& why, const std::string& example) {
        ++total;
        if (same) {
            ++agree;
            return;
        }
        if (classes[why]++ < 2) examples.push_back(why + ": " + example);
    }
    [[nodiscard]] double ratio() const { return total == 0 ? 1.0 : double(agree) / double(total); }
    void print(const char* name) const {
        std::printf("%-5s agree %zu/%zu (%.1f%%)\n", name, agree, total, 100.0 * ratio());
        for (const auto& [why, n] : classes) std::printf("      %4zu  %s\n", n, why.c_str());
        for (const auto& e : examples) std::printf("        e.g. %s\n", e.c_str());
    }
};

}  // namespace ottscope::test::oracle
