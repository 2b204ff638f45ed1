#include "classifier_counters.h"

#include <algorithm>

namespace ottscope {

ClassifierCounters::ClassifierCounters(std::span<const MetricDeclaration> declarations, size_t apps)
    : declarations_(declarations),
      apps_(apps),
      offsets_(std::make_unique<size_t[]>(declarations.size() + 1)) {
    size_t total = 0;
    for (size_t i = 0; i < declarations.size(); ++i) {
        offsets_[i] = total;
        total += declarations[i].slots(apps);
    }
    offsets_[declarations.size()] = total;
    counters_ = std::make_unique<Counter[]>(std::max<size_t>(total, 1));
}

size_t ClassifierCounters::slot(size_t metric, size_t first, size_t second) const noexcept {
    if (metric >= declarations_.size()) return 0;
    const MetricDeclaration& declaration = declarations_[metric];
    size_t index = 0;
    const size_t indexes[MetricDeclaration::kMaxLabels] = {first, second};
    for (size_t l = 0; l < declaration.label_count; ++l) {
        const size_t size = declaration.labels[l].size(apps_);
        index = index * size + std::min(indexes[l], size - 1);
    }
    return offsets_[metric] + index;
}

}  // namespace ottscope
