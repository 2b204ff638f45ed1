#pragma once
// What the HTTP classifier counts, per worker: requests and body bytes per app, credited when
// the classifier finishes with a flow; fixed arrays so the packet path never allocates.

#include <array>

#include "classifiers/classifier.h"
#include "classifiers/counter.h"
#include "classifiers/http/http_method.h"

namespace ottscope {

struct HttpCounters {
    std::array<std::array<Counter, kHttpMethods>, kMaxApps> requests;
    std::array<std::array<Counter, 2>, kMaxApps> payload_bytes;  // indexed by Direction
    Counter not_http;        // TCP streams given up on at their first bytes
    Counter parse_errors;    // streams that began as HTTP and then broke the grammar
    Counter json_bodies;     // request bodies inspected as JSON
    Counter json_truncated;  // ... of which only a prefix was inspected
    Counter json_invalid;    // ... complete, but rejected by simdjson
};

}  // namespace ottscope
