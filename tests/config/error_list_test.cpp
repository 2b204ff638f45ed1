// Errors of one load: thousands of copies of the same mistake, and thousands of different ones.

#include "config/error_list.h"

#include <gtest/gtest.h>

namespace ottscope {
namespace {

TEST(ErrorList, ThousandsOfTheSameErrorAreOne) {
    std::vector<std::string> errors(44'851, "f.yaml:3:5: unknown key 'lol' in apps[]");
    limit_errors(errors);
    EXPECT_EQ(errors, std::vector<std::string>{"f.yaml:3:5: unknown key 'lol' in apps[]"});
}

TEST(ErrorList, ThousandsOfDifferentErrorsAreCappedWithACount) {
    std::vector<std::string> errors;
    for (int i = 0; i < 1000; ++i) {
        std::string error = "f.yaml:";
        error += std::to_string(i);
        error += ":1: bad";
        errors.push_back(std::move(error));
    }
    errors.push_back("f.yaml:0:1: bad");
    limit_errors(errors);
    ASSERT_EQ(errors.size(), kMaxErrorsShown + 1);
    EXPECT_EQ(errors.front(), "f.yaml:0:1: bad");
    EXPECT_EQ(errors.back(), "... and 980 more errors");
}

TEST(ErrorList, FewErrorsAreKeptInOrder) {
    std::vector<std::string> errors = {"b", "a", "b"};
    limit_errors(errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"b", "a"}));
}

}  // namespace
}  // namespace ottscope
