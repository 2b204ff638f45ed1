#pragma once
// Walks a YAML document the way every ottscope file is checked: each problem is collected as
// FILE:LINE:COL: message (yaml-cpp marks), unknown keys get a suggestion, numbers are range
// checked, and nothing stops at the first error, so one run of check-config lists them all.
// Text from the file (keys, values, the path itself) is escaped in messages (log_text.h): a
// message is one log line, whatever the file holds.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ottscope {

class YamlLoader {
public:
    explicit YamlLoader(std::string path);

    void error(const YAML::Node& node, const std::string& message);
    void error_at(const YAML::Mark& mark, const std::string& message);
    // An error about the file as a whole (it cannot be read, it is too large): FILE: message.
    void file_error(const std::string& message);

    using Handler = std::function<void(const YAML::Node&)>;
    // Visits the keys of a mapping; unknown keys are errors with a suggestion.
    void mapping(const YAML::Node& node, const std::string& where,
                 const std::map<std::string, Handler>& handlers);

    template <typename T>
    Handler number(T& target, const std::string& name, uint64_t low, uint64_t high) {
        return [this, &target, name, low, high](const YAML::Node& node) {
            uint64_t value = 0;
            if (read_number(node, name, low, high, value)) target = static_cast<T>(value);
        };
    }
    // A number (fractions allowed) in (above, at_most].
    Handler decimal(double& target, const std::string& name, double above, double at_most);
    Handler text(std::string& target, const std::string& name);
    Handler boolean(bool& target, const std::string& name);
    // A list of strings; a single string is taken as a list of one.
    Handler text_list(std::vector<std::string>& target, const std::string& name);

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    // The path as messages show it.
    [[nodiscard]] const std::string& shown_path() const noexcept { return shown_path_; }
    std::vector<std::string> errors;

private:
    bool read_number(const YAML::Node& node, const std::string& name, uint64_t low, uint64_t high,
                     uint64_t& value);
    std::string path_;
    std::string shown_path_;
};

// Reads a whole file (a regular file of at most kMaxYamlFileBytes, file_reader.h) and parses
// it, then checks that its walk stays within kMaxYamlNodes (yaml_node_budget.h). Whatever goes
// wrong, any exception included, becomes a located error for this file. Null on failure.
std::optional<YAML::Node> parse_yaml_file(YamlLoader& loader);
// The same for YAML already in memory (read by the caller); `loader` names the file.
std::optional<YAML::Node> parse_yaml_text(YamlLoader& loader, const std::string& text);

}  // namespace ottscope
