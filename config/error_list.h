#pragma once
// What one load (check-config, a reload) reports: every distinct error up to a bound. One
// broken anchor used a thousand times is one mistake, and a reload log of tens of thousands of
// lines hides the error that matters.

#include <cstddef>
#include <string>
#include <vector>

namespace ottscope {

constexpr size_t kMaxErrorsShown = 20;

// Drops repeated errors (keeping the first of each, in order), keeps the first `keep`, and
// ends with "... and N more errors" when some were left out.
void limit_errors(std::vector<std::string>& errors, size_t keep = kMaxErrorsShown);

}  // namespace ottscope
