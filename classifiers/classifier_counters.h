#pragma once
// One classifier's counters in one worker, laid out from its metric declarations: one block
// of Counters, one run of slots per family, indexed by its labels' enum values (or app ids).
// Written by the worker's lcore only; read by the control side at any time.

#include <cstddef>
#include <memory>
#include <span>

#include "counter.h"
#include "metric_declaration.h"

namespace ottscope {

class ClassifierCounters {
public:
    ClassifierCounters(std::span<const MetricDeclaration> declarations, size_t apps);

    // The counter of family `metric` at label indexes (first, second); indexes beyond a
    // label's range land on its last value, so a bad index can never write outside the block.
    [[nodiscard]] Counter& at(size_t metric, size_t first = 0, size_t second = 0) noexcept {
        return counters_[slot(metric, first, second)];
    }
    [[nodiscard]] const Counter& at(size_t metric, size_t first = 0,
                                    size_t second = 0) const noexcept {
        return counters_[slot(metric, first, second)];
    }
    [[nodiscard]] std::span<const MetricDeclaration> declarations() const noexcept {
        return declarations_;
    }
    [[nodiscard]] size_t apps() const noexcept { return apps_; }

private:
    [[nodiscard]] size_t slot(size_t metric, size_t first, size_t second) const noexcept;

    std::span<const MetricDeclaration> declarations_;
    size_t apps_;
    std::unique_ptr<size_t[]> offsets_;  // by family: its first slot
    std::unique_ptr<Counter[]> counters_;
};

}  // namespace ottscope
