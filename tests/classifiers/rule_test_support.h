#pragma once
// Rule tests and fact sheets named as rule files name them ("tls", "sni"), for tests that
// build rules by hand.

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/registry.h"
#include "classifiers/rule_set.h"

namespace ottscope::test {

inline RuleTest fact_test(std::string_view section, std::string_view key,
                          std::vector<std::string> patterns) {
    RuleTest test;
    test.field = RuleField::fact;
    test.fact = fact_id(section, key).value();
    test.kind = fact_catalog()[test.fact].declaration->kind;
    test.patterns = std::move(patterns);
    return test;
}

inline RuleTest port_test(std::vector<uint16_t> ports) {
    RuleTest test;
    test.field = RuleField::port;
    test.numbers = std::move(ports);
    return test;
}

// Fact values a test offers the rules.
class TestFacts {
public:
    void set(std::string_view section, std::string_view key, std::string_view text) {
        values_[fact_id(section, key).value()].text = text;
    }
    void set_items(std::string_view section, std::string_view key,
                   std::span<const std::string_view> items) {
        values_[fact_id(section, key).value()].items = items;
    }
    [[nodiscard]] std::span<const FactValue> values() const { return values_; }

private:
    std::vector<FactValue> values_ = std::vector<FactValue>(fact_catalog().size());
};

}  // namespace ottscope::test

namespace ottscope::test {

// The text a classifier wrote into a record field of `annotations` ("" when it did not).
inline std::string_view record_field(const FlowAnnotations& annotations,
                                     std::string_view classifier, std::string_view field) {
    const auto registry = classifier_registry();
    for (const RecordFieldInfo& info : record_field_layout())
        if (registry[info.classifier]->name == classifier && info.declaration->name == field)
            return annotations.get(info.slot);
    return {};
}

}  // namespace ottscope::test
