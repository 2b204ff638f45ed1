#pragma once
// The names an enum's values go by outside the process (Prometheus label values, flow-record
// and API fields): one table per enum, written next to it as {Enum::value, "name"} pairs.
// The table is built at compile time and does not compile unless its pairs are the enum's
// values in order (0, 1, ...), each with a name, and, when the enum ends in `count`, all of
// them. Code asks a table for a value's name or walks its pairs: a name is never found by
// its position in a list kept apart from the enum.
//
//   enum class Fruit : uint8_t { apple, pear, count };
//   inline constexpr auto kFruitNames =
//       enum_names<Fruit>({{Fruit::apple, "apple"}, {Fruit::pear, "pear"}});
//   kFruitNames.name(Fruit::pear);                 // "pear"
//   for (const auto& [fruit, name] : kFruitNames)  // every value, in order
//
// Shared vocabulary: includes nothing of ours.

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace ottscope {

// The position of `value` in arrays indexed by its enum (counters, per-reason totals).
template <typename Enum>
constexpr size_t index_of(Enum value) noexcept {
    return static_cast<size_t>(value);
}

template <typename Enum>
struct EnumName {
    Enum value;
    std::string_view name;
};

// Deliberately not constexpr and never defined: a table that reaches one of these while it is
// built fails to compile, and the compiler's message names what is wrong.
namespace enum_names_check {
void entry_out_of_enum_order();
void entry_without_a_name();
}  // namespace enum_names_check

// Enum::count for enums that end in one; `otherwise` for the others.
template <typename Enum>
constexpr size_t count_of(size_t otherwise) noexcept {
    if constexpr (requires { Enum::count; })
        return index_of(Enum::count);
    else
        return otherwise;
}

template <typename Enum, size_t N>
class EnumNames {
    static_assert(std::is_enum_v<Enum>);
    static_assert(N == count_of<Enum>(N), "a name table names every value of its enum");

public:
    consteval explicit EnumNames(const EnumName<Enum> (&entries)[N]) {
        for (size_t i = 0; i < N; ++i) {
            if (index_of(entries[i].value) != i) enum_names_check::entry_out_of_enum_order();
            if (entries[i].name.empty()) enum_names_check::entry_without_a_name();
            entries_[i] = entries[i];
            names_[i] = entries[i].name;
        }
    }

    [[nodiscard]] static constexpr size_t size() noexcept { return N; }
    // `otherwise` for a value outside the table (a corrupt or future value).
    [[nodiscard]] constexpr std::string_view name(Enum value,
                                                  std::string_view otherwise = {}) const noexcept {
        return index_of(value) < N ? entries_[index_of(value)].name : otherwise;
    }
    // The names alone, in enum order: the values of a metric label (metric_declaration.h).
    [[nodiscard]] constexpr const std::array<std::string_view, N>& names() const noexcept {
        return names_;
    }
    [[nodiscard]] constexpr auto begin() const noexcept { return entries_.begin(); }
    [[nodiscard]] constexpr auto end() const noexcept { return entries_.end(); }

private:
    std::array<EnumName<Enum>, N> entries_{};
    std::array<std::string_view, N> names_{};
};

template <typename Enum, size_t N>
consteval EnumNames<Enum, N> enum_names(const EnumName<Enum> (&entries)[N]) {
    return EnumNames<Enum, N>(entries);
}

// Any per-value table (a classifier's facts, its record fields) written the same way, as
// {Enum::value, entry} pairs, and checked the same way: in enum order, every value once.
template <typename Enum, typename Entry>
struct EnumEntry {
    Enum value;
    Entry entry;
};

template <typename Enum, typename Entry, size_t N>
consteval std::array<Entry, N> enum_table(const EnumEntry<Enum, Entry> (&entries)[N]) {
    static_assert(N == count_of<Enum>(N), "a table has one entry for every value of its enum");
    std::array<Entry, N> table{};
    for (size_t i = 0; i < N; ++i) {
        if (index_of(entries[i].value) != i) enum_names_check::entry_out_of_enum_order();
        table[i] = entries[i].entry;
    }
    return table;
}

}  // namespace ottscope
