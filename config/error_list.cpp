#include "error_list.h"

#include <string_view>
#include <unordered_set>

namespace ottscope {

void limit_errors(std::vector<std::string>& errors, size_t keep) {
    std::unordered_set<std::string_view> seen;
    std::vector<std::string> distinct;
    size_t more = 0;
    for (const std::string& error : errors) {
        if (!seen.insert(error).second) continue;
        if (distinct.size() < keep)
            distinct.push_back(error);
        else
            ++more;
    }
    if (more != 0) {
        std::string summary = "... and ";
        summary += std::to_string(more);
        summary += more == 1 ? " more error" : " more errors";
        distinct.push_back(std::move(summary));
    }
    errors = std::move(distinct);
}

}  // namespace ottscope
