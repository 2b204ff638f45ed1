#pragma once
// Which configuration `ottscope run` takes when no -c is given: the installed one
// (/etc/ottscope/ottscope.yaml), else the checkout's own (config/ottscope.yaml beside the
// build folder the binary sits in), else the built-in defaults. Never a file of the current
// directory: what is in force must not depend on where the command was typed.

#include <string>

namespace ottscope {

inline constexpr const char* kSystemConfigPath = "/etc/ottscope/ottscope.yaml";

enum class ConfigOrigin : unsigned char {
    command_line,  // -c FILE
    system,        // the installed configuration
    checkout,      // the source tree the binary was built in
    built_in,      // no file: default_config()
};

// Where each step of the lookup looks. Empty: that step is skipped.
struct DefaultConfigPlaces {
    std::string system = kSystemConfigPath;
    // The running binary (/proc/self/exe): a checkout is recognised by `meson.build` and
    // `config/ottscope.yaml` in the parent of the binary's folder (build/ottscope).
    std::string executable;
    // Replaces the checkout's path when not empty (tests).
    std::string checkout_override;
    bool checkout = true;
};

struct DefaultConfig {
    std::string path;  // "" for the built-in defaults
    ConfigOrigin origin = ConfigOrigin::built_in;
};

// The first step whose file exists. An installed path that is not a readable file is still
// taken, so that the load says what is wrong with it rather than the appliance quietly
// starting with something else.
DefaultConfig find_default_config(const DefaultConfigPlaces& places);

// The real places, with the environment's say: OTTSCOPE_SYSTEM_CONFIG replaces the system
// path and OTTSCOPE_CHECKOUT_CONFIG the checkout's; either set but empty skips its step (the
// test suite sets both empty, so a run without -c there takes the built-in defaults whatever
// the host has installed).
DefaultConfigPlaces default_config_places();

// "configuration /etc/ottscope/ottscope.yaml", "configuration FILE (the checkout's)",
// "built-in defaults (no configuration file)": for the start line.
std::string describe_config(const DefaultConfig& config);

}  // namespace ottscope
