#include "default_config_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>

#include "config/log_text.h"

namespace ottscope {
namespace {

bool exists(const std::string& path) {
    struct stat info {};
    return !path.empty() && ::stat(path.c_str(), &info) == 0;
}

// build/ottscope -> the folder holding build/, when it is the source tree (meson.build and
// the shipped configuration next to each other). Anything else (/usr/bin/ottscope) is not.
std::string checkout_config(const std::string& executable) {
    if (executable.empty()) return {};
    const std::filesystem::path root =
        std::filesystem::path(executable).lexically_normal().parent_path().parent_path();
    if (root.empty() || !exists((root / "meson.build").string())) return {};
    const std::string config = (root / "config" / "ottscope.yaml").string();
    return exists(config) ? config : std::string();
}

}  // namespace

DefaultConfig find_default_config(const DefaultConfigPlaces& places) {
    if (exists(places.system)) return {places.system, ConfigOrigin::system};
    if (places.checkout) {
        const std::string checkout = places.checkout_override.empty()
                                         ? checkout_config(places.executable)
                                         : places.checkout_override;
        if (exists(checkout)) return {checkout, ConfigOrigin::checkout};
    }
    return {};
}

DefaultConfigPlaces default_config_places() {
    DefaultConfigPlaces places;
    if (const char* system = std::getenv("OTTSCOPE_SYSTEM_CONFIG")) places.system = system;
    if (const char* checkout = std::getenv("OTTSCOPE_CHECKOUT_CONFIG")) {
        places.checkout_override = checkout;
        places.checkout = *checkout != '\0';
    }
    std::array<char, 4096> buffer{};
    const ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    if (length > 0) places.executable.assign(buffer.data(), static_cast<size_t>(length));
    return places;
}

std::string describe_config(const DefaultConfig& config) {
    switch (config.origin) {
        case ConfigOrigin::command_line:
        case ConfigOrigin::system:
            return "configuration " + escape_for_log(config.path);
        case ConfigOrigin::checkout:
            return "configuration " + escape_for_log(config.path) + " (the checkout's)";
        case ConfigOrigin::built_in:
            break;
    }
    return "built-in defaults (no configuration file)";
}

}  // namespace ottscope
