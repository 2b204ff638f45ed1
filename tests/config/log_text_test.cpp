// Text from YAML on its way to a log line: newlines, escapes and megabyte values.

#include "config/log_text.h"

#include <gtest/gtest.h>

namespace ottscope {
namespace {

TEST(LogText, NewlineCarriageReturnAndEscapeBecomeHex) {
    EXPECT_EQ(escape_for_log("a\nb\rc\x1b[2Jd"), "a\\x0ab\\x0dc\\x1b[2Jd");
}

TEST(LogText, NulAndDelAndUtf8BecomeHex) {
    EXPECT_EQ(escape_for_log(std::string("a\0b\x7f", 4)), "a\\x00b\\x7f");
    EXPECT_EQ(escape_for_log("\xe2\x80\xae"), "\\xe2\\x80\\xae");  // right-to-left override
}

TEST(LogText, EscapingTwiceChangesNothing) {
    const std::string once = escape_for_log("x\ny\\z");
    EXPECT_EQ(escape_for_log(once), once);
}

TEST(LogText, MegabyteValueIsCutWithAnEllipsis) {
    EXPECT_EQ(shown_value(std::string(1 << 20, 'v'), 8), "vvvvvvvv...");
    EXPECT_EQ(shown_value("short"), "short");
}

}  // namespace
}  // namespace ottscope
