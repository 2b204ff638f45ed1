#pragma once
// A metric family declared once, beside the code that counts it (Envoy's stats lists,
// Seastar's metric groups): its name, help and label dimensions. The counters behind it are
// laid out from the declaration (ClassifierCounters) and /metrics renders it from the same
// declaration, so a value and its name cannot drift apart. Shared vocabulary: includes
// nothing of ours.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ottscope {

enum class MetricKind : uint8_t { counter, gauge };

// One label of a family. Its values are an enum's name table (see enum_names.h), so a
// counter's index is the enum value and the label is its name; `by_app` labels instead range
// over every app id and show the app's name.
struct LabelDeclaration {
    std::string_view name;
    std::span<const std::string_view> values;
    bool by_app = false;

    [[nodiscard]] size_t size(size_t apps) const noexcept { return by_app ? apps : values.size(); }
};

struct MetricDeclaration {
    static constexpr size_t kMaxLabels = 2;

    std::string_view name;
    std::string_view help;
    MetricKind kind = MetricKind::counter;
    std::array<LabelDeclaration, kMaxLabels> labels{};
    uint8_t label_count = 0;
    // Samples that are still 0 are left out (per-app families would otherwise list every app).
    bool omit_zero = false;
    // The family is shown only while this option of the classifier's section is set (a TLS
    // key log, say); "" always.
    std::string_view shown_with_option;

    [[nodiscard]] size_t slots(size_t apps) const noexcept {
        size_t n = 1;
        for (size_t i = 0; i < label_count; ++i) n *= labels[i].size(apps);
        return n;
    }
};

}  // namespace ottscope
