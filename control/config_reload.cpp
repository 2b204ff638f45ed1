#include "config_reload.h"

#include <fmt/format.h>

#include "config/config.h"

namespace ottscope {

ReloadReport revalidate_config(const std::string& config_path) {
    ReloadReport report;
    report.applied = false;
    if (config_path.empty()) {
        report.ok = true;
        report.message =
            "running on built-in defaults (no -c): nothing to validate, nothing swapped";
        return report;
    }
    const ConfigResult result = load_config(config_path);
    report.ok = result.ok();
    report.errors = result.errors;
    report.message = report.ok
                         ? fmt::format(
                               "{} re-validated without error; nothing swapped: this build has no "
                               "rule set to reload, and dataplane settings apply at restart",
                               config_path)
                         : fmt::format("{} has {} error{}; nothing changed", config_path,
                                       result.errors.size(), result.errors.size() == 1 ? "" : "s");
    return report;
}

}  // namespace ottscope
