#pragma once
// What POST /-/reload does in this build. There is no rule set yet, and dataplane settings
// (ports, workers, table sizes) only take effect at a restart, so a reload re-validates the
// configuration file and says so: it never claims to have swapped anything in.

#include <string>

#include "control/api_views.h"

namespace ottscope {

ReloadReport revalidate_config(const std::string& config_path);

}  // namespace ottscope
