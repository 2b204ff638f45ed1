#include "counters.h"

namespace ottscope {

WorkerCounters::WorkerCounters()
    : registered_classifiers(classifier_registry().size()),
      verdicts(std::make_unique<Counter[]>(kMaxApps * registered_classifiers * kConfidenceLevels)),
      classifiers(make_classifier_counters()) {}

}  // namespace ottscope
