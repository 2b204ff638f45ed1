#include "yaml_loader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string_view>

#include "file_reader.h"
#include "log_text.h"
#include "yaml_node_budget.h"

namespace ottscope {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// 0.5 rather than 0.500000: bounds as people write them.
std::string shortest(double value) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", value);
    return text;
}

}  // namespace

YamlLoader::YamlLoader(std::string path)
    : path_(std::move(path)), shown_path_(escape_for_log(path_)) {}

void YamlLoader::error_at(const YAML::Mark& mark, const std::string& message) {
    // yaml-cpp marks a node it did not read from the file (a missing key) with -1.
    const int line = mark.line < 0 ? 0 : mark.line;
    const int column = mark.column < 0 ? 0 : mark.column;
    // Values in `message` are cut where they are put in (shown_value); escaping the whole line
    // as well keeps any that were not from starting a line of their own.
    errors.push_back(shown_path_ + ":" + std::to_string(line + 1) + ":" +
                     std::to_string(column + 1) + ": " + escape_for_log(message));
}

void YamlLoader::file_error(const std::string& message) {
    errors.push_back(shown_path_ + ": " + escape_for_log(message));
}

void YamlLoader::error(const YAML::Node& node, const std::string& message) {
    error_at(node.Mark(), message);
}

void YamlLoader::mapping(const YAML::Node& node, const std::string& where,
                         const std::map<std::string, Handler>& handlers) {
    if (!node.IsMap()) {
        error(node, where + " must be a mapping");
        return;
    }
    for (const auto& item : node) {
        if (!item.first.IsScalar()) {
            error(item.first, "keys in " + where + " must be plain names");
            continue;
        }
        const std::string& key = item.first.Scalar();
        const auto handler = handlers.find(key);
        if (handler != handlers.end()) {
            handler->second(item.second);
            continue;
        }
        std::string best;
        size_t best_distance = 3;
        for (const auto& [name, unused] : handlers) {
            const size_t d = edit_distance(key, name);
            if (d < best_distance) {
                best_distance = d;
                best = name;
            }
        }
        error(item.first, "unknown key '" + shown_value(key) + "' in " + where +
                              (best.empty() ? "" : " (did you mean '" + best + "'?)"));
    }
}

bool YamlLoader::read_number(const YAML::Node& node, const std::string& name, uint64_t low,
                             uint64_t high, uint64_t& value) {
    try {
        if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
        const std::string& text = node.Scalar();
        if (text.empty() || text[0] == '-') throw YAML::BadConversion(node.Mark());
        value = node.as<uint64_t>();
    } catch (const YAML::Exception&) {
        error(node, name + " must be a whole number from " + std::to_string(low) + " to " +
                        std::to_string(high));
        return false;
    }
    if (value < low || value > high) {
        error(node, name + " is " + std::to_string(value) + ", must be from " +
                        std::to_string(low) + " to " + std::to_string(high));
        return false;
    }
    return true;
}

YamlLoader::Handler YamlLoader::decimal(double& target, const std::string& name, double above,
                                        double at_most) {
    return [this, &target, name, above, at_most](const YAML::Node& node) {
        const std::string range = "above " + shortest(above) + " and at most " + shortest(at_most);
        double value = 0;
        try {
            if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
            value = node.as<double>();
        } catch (const YAML::Exception&) {
            error(node, name + " must be a number " + range);
            return;
        }
        if (!std::isfinite(value) || value <= above || value > at_most) {
            error(node, name + " is " + shown_value(node.Scalar()) + ", must be " + range);
            return;
        }
        target = value;
    };
}

YamlLoader::Handler YamlLoader::text(std::string& target, const std::string& name) {
    return [this, &target, name](const YAML::Node& node) {
        if (!node.IsScalar()) {
            error(node, name + " must be a string");
            return;
        }
        target = node.Scalar();
    };
}

YamlLoader::Handler YamlLoader::boolean(bool& target, const std::string& name) {
    return [this, &target, name](const YAML::Node& node) {
        try {
            target = node.as<bool>();
        } catch (const YAML::Exception&) {
            error(node, name + " must be true or false");
        }
    };
}

YamlLoader::Handler YamlLoader::text_list(std::vector<std::string>& target,
                                          const std::string& name) {
    return [this, &target, name](const YAML::Node& node) {
        if (node.IsScalar()) {
            target.push_back(node.Scalar());
            return;
        }
        if (!node.IsSequence()) {
            error(node, name + " must be a string or a list of strings");
            return;
        }
        for (const auto& item : node) {
            if (!item.IsScalar()) {
                error(item, name + " must hold strings only");
                continue;
            }
            target.push_back(item.Scalar());
        }
    };
}

std::optional<YAML::Node> parse_yaml_text(YamlLoader& loader, const std::string& text) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        loader.error_at(e.mark, e.msg);
        return std::nullopt;
    } catch (const std::exception& e) {
        loader.file_error(std::string("cannot be parsed: ") + e.what());
        return std::nullopt;
    }
    if (!within_node_budget(root)) {
        loader.file_error("more than " + std::to_string(kMaxYamlNodes) +
                          " YAML nodes after alias expansion (each use of an alias counts "
                          "its nodes again)");
        return std::nullopt;
    }
    return root;
}

std::optional<YAML::Node> parse_yaml_file(YamlLoader& loader) {
    std::string error;
    const auto text = read_regular_file(loader.path(), kMaxYamlFileBytes, error);
    if (!text) {
        loader.file_error(error);
        return std::nullopt;
    }
    return parse_yaml_text(loader, *text);
}

}  // namespace ottscope
