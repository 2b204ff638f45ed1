#include "rules_loader.h"

#include "classifiers/registry.h"

#include <arpa/inet.h>
#include <glob.h>
#include <map>

#include <algorithm>
#include <cstring>
#include <exception>

#include "error_list.h"
#include "file_reader.h"
#include "log_text.h"
#include "yaml_loader.h"

namespace ottscope {
namespace {

constexpr size_t kMaxNameLength = 48;

struct TestSpec {
    RuleField field;
    uint16_t fact = 0;  // RuleField::fact
    FactKind kind = FactKind::text;
    std::string name;  // as evidence and messages say it: "port", "tls.sni"
    std::vector<std::string> values;
    YAML::Mark mark;
};

struct ConditionSpec {
    std::vector<TestSpec> tests;
    YAML::Mark mark;
};

struct AppSpec {
    std::string name;
    std::string category;
    std::string description;
    bool require_all = false;
    std::vector<ConditionSpec> conditions;
    YAML::Mark mark;
};

bool valid_label(const std::string& text) {
    if (text.empty() || text.size() > kMaxNameLength) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

std::optional<Cidr> parse_cidr(const std::string& text) {
    const size_t slash = text.find('/');
    const std::string address = text.substr(0, slash);
    Cidr cidr;
    unsigned max_prefix = 128;
    unsigned offset = 0;
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
        cidr.address[10] = cidr.address[11] = 0xff;
        std::memcpy(cidr.address + 12, &v4, 4);
        max_prefix = 32;
        offset = 96;
    } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
        std::memcpy(cidr.address, &v6, 16);
    } else {
        return std::nullopt;
    }
    unsigned prefix = max_prefix;
    if (slash != std::string::npos) {
        const std::string bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 ||
            !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        prefix = static_cast<unsigned>(std::stoul(bits));
        if (prefix > max_prefix) return std::nullopt;
    }
    cidr.prefix = static_cast<uint8_t>(prefix + offset);
    return cidr;
}

class RulesParser {
public:
    RulesParser(YamlLoader& loader, const AppCatalog* catalog)
        : loader_(loader), catalog_(catalog) {
        const std::vector<FactInfo> facts = fact_catalog();
        for (size_t id = 0; id < facts.size(); ++id) {
            const FactDeclaration& fact = *facts[id].declaration;
            facts_by_section_[std::string(fact.section)].emplace(
                std::string(fact.key), TestSpec{.field = RuleField::fact,
                                                .fact = static_cast<uint16_t>(id),
                                                .kind = fact.kind,
                                                .name = facts[id].name});
        }
    }

    void document(const YAML::Node& root, std::vector<AppSpec>& apps) {
        if (root.IsNull()) return;
        loader_.mapping(root, "a rule file", {{"apps", [&](const YAML::Node& list) {
                                                   if (!list.IsSequence()) {
                                                       loader_.error(list, "apps must be a list");
                                                       return;
                                                   }
                                                   for (const auto& item : list)
                                                       apps.push_back(app(item));
                                               }}});
    }

private:
    AppSpec app(const YAML::Node& node) {
        AppSpec spec;
        spec.mark = node.Mark();
        bool has_match = false;
        loader_.mapping(
            node, "apps[]",
            {
                {"name", loader_.text(spec.name, "apps[].name")},
                {"category", loader_.text(spec.category, "apps[].category")},
                {"description", loader_.text(spec.description, "apps[].description")},
                {"match",
                 [&](const YAML::Node& match) {
                     has_match = true;
                     loader_.mapping(
                         match, "apps[].match",
                         {{"any", [&](const YAML::Node& list) { conditions(list, spec, false); }},
                          {"all", [&](const YAML::Node& list) { conditions(list, spec, true); }}});
                     if (match.IsMap() && match.size() != 1)
                         loader_.error(match, "apps[].match takes exactly one of any or all");
                 }},
            });
        if (!node.IsMap()) return spec;
        if (spec.name.empty())
            loader_.error(node, "an app needs a name");
        else if (!valid_label(spec.name))
            loader_.error(node["name"], "app name '" + shown_value(spec.name) +
                                            "' must be 1-48 characters of a-z 0-9 - _ .");
        else if (catalog_ != nullptr && catalog_->find_ndpi_protocol(spec.name))
            loader_.error(node["name"], "app name '" + spec.name +
                                            "' is an nDPI protocol; rule apps need names of "
                                            "their own");
        if (spec.category.empty())
            loader_.error(node, "app '" + shown_value(spec.name) + "' needs a category");
        else if (!valid_label(spec.category))
            loader_.error(node["category"], "category '" + shown_value(spec.category) +
                                                "' must be 1-48 characters of a-z 0-9 - _ .");
        if (!has_match) loader_.error(node, "app '" + shown_value(spec.name) + "' needs a match");
        return spec;
    }

    void conditions(const YAML::Node& list, AppSpec& spec, bool require_all) {
        spec.require_all = require_all;
        if (!list.IsSequence() || list.size() == 0) {
            loader_.error(list, "match conditions must be a non-empty list");
            return;
        }
        for (const auto& item : list) {
            ConditionSpec condition;
            condition.mark = item.Mark();
            auto strings = [&](const TestSpec& spec) {
                return [this, &condition, spec](const YAML::Node& node) {
                    TestSpec test = spec;
                    test.mark = node.Mark();
                    loader_.text_list(test.values, test.name)(node);
                    if (test.values.empty())
                        loader_.error(node, test.name + " needs at least one value");
                    condition.tests.push_back(std::move(test));
                };
            };
            std::map<std::string, YamlLoader::Handler> keys = {
                {"ndpi", strings({.field = RuleField::ndpi, .name = "ndpi"})},
                {"ports", strings({.field = RuleField::port, .name = "port"})},
                {"cidr", strings({.field = RuleField::cidr, .name = "cidr"})},
            };
            // One section per fact section the classifiers declare (tls, sip, http, json...).
            for (const auto& entry : facts_by_section_)
                keys.emplace(entry.first, [this, strings, where = entry.first,
                                           section_facts = &entry.second](const YAML::Node& node) {
                    std::map<std::string, YamlLoader::Handler> handlers;
                    for (const auto& [key, spec] : *section_facts)
                        handlers.emplace(key, strings(spec));
                    loader_.mapping(node, where, handlers);
                });
            loader_.mapping(item, "a match condition", keys);
            if (item.IsMap() && condition.tests.empty())
                loader_.error(item, "a match condition needs at least one test");
            spec.conditions.push_back(std::move(condition));
        }
    }

    YamlLoader& loader_;
    const AppCatalog* catalog_;
    // section -> key -> the test a rule file's `section: { key: [...] }` compiles to
    std::map<std::string, std::map<std::string, TestSpec>> facts_by_section_;
};

// Turns the checked values of a test into their compiled form; reports what cannot be.
RuleTest compile_test(const TestSpec& spec, const AppCatalog* catalog, YamlLoader& loader) {
    RuleTest test;
    test.field = spec.field;
    test.fact = spec.fact;
    test.kind = spec.kind;
    for (const std::string& value : spec.values) {
        switch (spec.field) {
            case RuleField::port: {
                const bool digits = !value.empty() && value.size() <= 5 &&
                                    std::all_of(value.begin(), value.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
                const unsigned long port = digits ? std::stoul(value) : 0;
                if (!digits || port == 0 || port > 65535)
                    loader.error_at(spec.mark,
                                    "port '" + shown_value(value) + "' must be from 1 to 65535");
                else
                    test.numbers.push_back(static_cast<uint16_t>(port));
                break;
            }
            case RuleField::cidr:
                if (auto cidr = parse_cidr(value))
                    test.cidrs.push_back(*cidr);
                else
                    loader.error_at(spec.mark, "cidr '" + shown_value(value) +
                                                   "' must be an IPv4 or IPv6 address with an "
                                                   "optional /prefix");
                break;
            case RuleField::ndpi:
                if (catalog == nullptr) break;
                if (auto id = catalog->find_ndpi_protocol(value))
                    test.numbers.push_back(*id);
                else
                    loader.error_at(spec.mark, "ndpi: '" + shown_value(value) +
                                                   "' is not an nDPI 4.2 protocol");
                break;
            default:
                if (value.empty() || value.size() > 256)
                    loader.error_at(spec.mark, spec.name + " values must be 1-256 characters");
                else
                    test.patterns.push_back(value);
                break;
        }
    }
    return test;
}

std::string evidence_of(const ConditionSpec& condition) {
    std::string text;
    for (const TestSpec& test : condition.tests) {
        if (!text.empty()) text += " & ";
        text += test.name;
        text += '=';
        for (size_t i = 0; i < test.values.size(); ++i) {
            if (i != 0) text += '|';
            text += test.values[i];
        }
    }
    return text;
}

Confidence confidence_of(const ConditionSpec& condition) {
    for (const TestSpec& test : condition.tests)
        if (test.field != RuleField::port && test.field != RuleField::cidr) return Confidence::high;
    return Confidence::medium;
}

// A short hash of the rule sources as they were read (names and contents), so that it names
// exactly what was compiled.
class SourceDigest {
public:
    void add(const std::string& path, const std::string& contents) {
        mix(path);
        mix(std::string_view("\0", 1));
        mix(contents);
    }
    [[nodiscard]] std::string text() const {
        char text[17];
        std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash_));
        return text;
    }

private:
    void mix(std::string_view bytes) {
        for (const char c : bytes) {  // FNV-1a
            hash_ ^= static_cast<unsigned char>(c);
            hash_ *= 1099511628211ULL;
        }
    }
    uint64_t hash_ = 1469598103934665603ULL;
};

}  // namespace

std::vector<std::string> rule_files_of(const Config& config, std::vector<std::string>& errors) {
    std::vector<std::string> files;
    for (const std::string& pattern : config.rule_files) {
        const std::string full = pattern.starts_with('/') || config.directory.empty()
                                     ? pattern
                                     : config.directory + "/" + pattern;
        glob_t matches{};
        const int status = glob(full.c_str(), GLOB_ERR, nullptr, &matches);
        if (status == GLOB_NOMATCH) {
            // A pattern with wildcards may match nothing (an empty rules.d); a plain name must
            // exist.
            if (full.find_first_of("*?[") == std::string::npos)
                errors.push_back(escape_for_log(full) + ":1:1: rule file does not exist");
        } else if (status != 0) {
            errors.push_back(escape_for_log(full) + ":1:1: cannot list rule files");
        } else {
            for (size_t i = 0; i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
        }
        globfree(&matches);
    }
    return files;
}

namespace {

// Every app of every file, with what was compiled of it, in precedence order.
struct LoadedApps {
    std::vector<std::pair<std::string, AppSpec>> specs;        // shown path, app
    std::vector<std::vector<std::vector<RuleTest>>> compiled;  // [app][condition][test]
    size_t evidence_count = 0;  // evidence texts the apps need (see kMaxRuleEvidencePerSet)
};

void check_app(YamlLoader& loader, const AppCatalog* catalog, AppSpec& app, LoadedApps& loaded) {
    for (const auto& [other_file, other] : loaded.specs)
        if (!app.name.empty() && other.name == app.name)
            loader.error_at(app.mark, "app '" + shown_value(app.name) + "' is already defined in " +
                                          other_file + ":" + std::to_string(other.mark.line + 1));
    const size_t evidence = app.require_all ? 1 : app.conditions.size();
    if (loaded.evidence_count <= kMaxRuleEvidencePerSet &&
        loaded.evidence_count + evidence > kMaxRuleEvidencePerSet)
        loader.error_at(app.mark, "the rules reach more than " +
                                      std::to_string(kMaxRuleEvidencePerSet) +
                                      " conditions here (one per any: condition, one per all: "
                                      "app), the most one rule set may have");
    loaded.evidence_count += evidence;
    std::vector<std::vector<RuleTest>> conditions;
    for (const ConditionSpec& condition : app.conditions) {
        std::vector<RuleTest> tests;
        for (const TestSpec& test : condition.tests)
            tests.push_back(compile_test(test, catalog, loader));
        conditions.push_back(std::move(tests));
    }
    loaded.compiled.push_back(std::move(conditions));
    loaded.specs.emplace_back(loader.shown_path(), std::move(app));
}

// Reads, parses and checks one file. Whatever it holds, and whatever it is (a directory, a
// FIFO, a file that vanished), the outcome is errors located in it, never an exception.
void load_file(const std::string& path, const AppCatalog* catalog, LoadedApps& loaded,
               SourceDigest& digest, std::vector<std::string>& errors) {
    YamlLoader loader(path);
    try {
        std::string error;
        const auto text = read_regular_file(path, kMaxYamlFileBytes, error);
        if (!text) {
            loader.file_error(error);
        } else {
            digest.add(path, *text);
            if (const auto root = parse_yaml_text(loader, *text)) {
                std::vector<AppSpec> apps;
                RulesParser(loader, catalog).document(*root, apps);
                for (AppSpec& app : apps) check_app(loader, catalog, app, loaded);
            }
        }
    } catch (const YAML::Exception& e) {
        loader.error_at(e.mark, e.msg);
    } catch (const std::exception& e) {
        loader.file_error(std::string("cannot be loaded: ") + e.what());
    }
    errors.insert(errors.end(), loader.errors.begin(), loader.errors.end());
}

std::string located(const std::string& shown_path, const YAML::Mark& mark,
                    const std::string& message) {
    return shown_path + ":" + std::to_string(mark.line + 1) + ":" +
           std::to_string(mark.column + 1) + ": " + escape_for_log(message);
}

}  // namespace

RulesResult load_rules(const std::vector<std::string>& files, AppCatalog* catalog,
                       uint64_t version) {
    RulesResult result;
    result.files = files;
    LoadedApps loaded;
    SourceDigest digest;
    for (const std::string& path : files) load_file(path, catalog, loaded, digest, result.errors);
    limit_errors(result.errors);
    if (!result.errors.empty() || catalog == nullptr) return result;

    std::vector<AppRule> rules;
    std::vector<std::string> evidence;  // the texts, one per entry of some rule.evidence
    for (size_t a = 0; a < loaded.specs.size(); ++a) {
        const auto& [path, spec] = loaded.specs[a];
        const AppCatalog::Interned interned = catalog->intern_rule_app(spec.name, spec.category);
        if (!interned.error.empty()) {
            result.errors.push_back(located(path, spec.mark, interned.error));
            continue;
        }
        AppRule rule;
        rule.app = interned.id;
        rule.require_all = spec.require_all;
        std::string all_evidence;
        for (size_t c = 0; c < spec.conditions.size(); ++c) {
            rule.conditions.push_back(RuleCondition{std::move(loaded.compiled[a][c])});
            const std::string text = evidence_of(spec.conditions[c]);
            if (spec.require_all) {
                all_evidence += (all_evidence.empty() ? "" : " & ") + text;
            } else {
                evidence.push_back(text);
                rule.confidence.push_back(confidence_of(spec.conditions[c]));
            }
        }
        if (spec.require_all) {
            Confidence confidence = Confidence::medium;
            for (const ConditionSpec& condition : spec.conditions)
                confidence = std::max(confidence, confidence_of(condition));
            evidence.push_back(all_evidence);
            rule.confidence.push_back(confidence);
        }
        rules.push_back(std::move(rule));
    }
    if (!result.errors.empty()) {
        limit_errors(result.errors);
        return result;
    }
    // All texts at once: a rule set that does not fit adds none of them.
    AppCatalog::InternedEvidence ids = catalog->intern_rule_evidence(evidence);
    if (!ids.error.empty()) {
        const auto& [path, spec] = loaded.specs.front();
        result.errors.push_back(path + ": " + escape_for_log(ids.error));
        return result;
    }
    size_t next = 0;
    for (AppRule& rule : rules)
        for (size_t i = 0; i < rule.confidence.size(); ++i)
            rule.evidence.push_back(ids.ids[next++]);
    result.rules = std::make_unique<RuleSet>(std::move(rules), version, digest.text());
    return result;
}

}  // namespace ottscope
